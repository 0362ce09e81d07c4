// Which status images the dashboard loads by itself: public https hosts and data: images only,
// whatever form an internal address is written in (the URL parser is the browser's, WHATWG).
import { describe, expect, it } from "vitest";
import { loadsByItself } from "../dashboard/src/lib/image-policy.ts";

describe("the dashboard's status image policy", () => {
  it("loads https images of public hosts and data: images", () => {
    for (const url of ["https://images.example.com/a.png", "https://media.giphy.com/media/x/giphy.gif", "https://EXAMPLE.com./b.svg", "https://8.8.8.8/c.png", "https://[2606:4700::1111]/d.png", "data:image/png;base64,iVBORw0KGgo="]) {
      expect(loadsByItself(url), url).toBe(true);
    }
  });

  it("never loads plain http, other schemes, or this machine and private networks however they are written", () => {
    const refused = [
      "http://images.example.com/a.png",
      "ftp://example.com/a.png",
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "not a url",
      "https://localhost/a.png",
      "https://LOCALHOST./a.png",
      "https://app.localhost/a.png",
      "https://127.0.0.1/a.png",
      "https://2130706433/a.png",
      "https://0x7f.1/a.png",
      "https://10.0.0.5/a.png",
      "https://172.16.0.1/a.png",
      "https://172.31.255.255/a.png",
      "https://192.168.1.1/a.png",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/a.png",
      "https://0.0.0.0/a.png",
      "https://[::1]/a.png",
      "https://[::ffff:192.168.1.1]/a.png",
      "https://[::ffff:127.0.0.1]/a.png",
      "https://[fd12:3456::1]/a.png",
      "https://[fe80::1]/a.png",
      "https://router/a.png",
      "https://printer.local/a.png",
      "https://metadata.google.internal/a.png",
      "https://nas.home.arpa/a.png",
    ];
    for (const url of refused) expect(loadsByItself(url), url).toBe(false);
  });
});
