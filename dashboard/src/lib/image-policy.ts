/**
 * Which status images (`data.urls`) the dashboard loads by itself. Loading one is a GET from the
 * operator's browser, on page load, to wherever the run's data points: so only https images of
 * public hosts, and data: images (no request at all). Plain http, other schemes, and hosts that
 * name this machine or a private network (a router's admin page, a cloud metadata address) are
 * shown as links, fetched only if the operator follows one. The page's CSP backs this up:
 * `img-src 'self' data: https:`.
 */
export function loadsByItself(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "data:") return /^data:image\//i.test(url);
  return parsed.protocol === "https:" && !isInternalHost(parsed.hostname);
}

const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp"];

/**
 * Names and addresses that do not reach the public internet. The URL parser has already
 * normalised them (lower case; IPv4 in dotted decimal, whatever form it was written in; IPv6 in
 * brackets). A public name that resolves to a private address cannot be told apart here.
 */
export function isInternalHost(hostname: string): boolean {
  if (hostname.startsWith("[")) return isInternalIpv6(hostname.slice(1, -1));
  const ipv4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname);
  if (ipv4) return isInternalIpv4(ipv4.slice(1).map(Number));
  // A single label ("router", "localhost") is resolved on the local network.
  if (!hostname.replace(/\.$/, "").includes(".")) return true;
  const name = hostname.replace(/\.$/, "");
  return INTERNAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

function isInternalIpv4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

function isInternalIpv6(address: string): boolean {
  if (address === "::" || address === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    if (mapped.length === 2) return isInternalIpv4(mapped[1]!.split(".").map(Number));
    const high = parseInt(mapped[1]!, 16);
    return isInternalIpv4([high >> 8, high & 255]);
  }
  const first = parseInt(address.split(":")[0] || "0", 16);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}
