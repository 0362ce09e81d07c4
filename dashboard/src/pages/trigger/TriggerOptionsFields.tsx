import { countHiddenOptions, type OptionErrors, type OptionInputs } from "./trigger-options.ts";

interface Props {
  inputs: OptionInputs;
  errors: OptionErrors;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onChange: (inputs: OptionInputs) => void;
}

/**
 * The rarely needed trigger options behind a disclosure, so the common case stays payload + submit.
 * While closed it says how many are filled, so a hidden key or delay does not surprise anyone.
 */
export function TriggerOptionsFields({ inputs, errors, open, onOpenChange, onChange }: Props) {
  const set = (field: keyof OptionInputs, value: string) => onChange({ ...inputs, [field]: value });
  const filled = countHiddenOptions(inputs);
  return (
    <div className="trigger-options">
      <button
        type="button"
        className="button-link small"
        aria-expanded={open}
        aria-controls="trigger-options-fields"
        onClick={() => onOpenChange(!open)}
        data-testid="trigger-options-toggle"
      >
        {open ? "▾" : "▸"} Options: metadata, idempotency key, delay
        {!open && filled > 0 && <span className="muted"> ({filled} set)</span>}
      </button>
      {open && (
        <div id="trigger-options-fields" className="trigger-options-fields">
          <label className="field">
            <span>Metadata (JSON object)</span>
            <textarea
              className={`code-input ${errors.metadata ? "invalid" : ""}`}
              rows={4}
              spellCheck={false}
              value={inputs.metadata}
              placeholder={'{ "user": { "name": "Ada" } }'}
              aria-invalid={errors.metadata !== undefined}
              onChange={(e) => set("metadata", e.target.value)}
              data-testid="trigger-metadata"
            />
          </label>
          {errors.metadata && (
            <p className="form-error" role="alert" data-testid="trigger-metadata-error">
              {errors.metadata}
            </p>
          )}
          <div className="field-row">
            <label className="field">
              <span>Idempotency key</span>
              <input
                value={inputs.idempotencyKey}
                maxLength={256}
                placeholder="order-1234"
                onChange={(e) => set("idempotencyKey", e.target.value)}
                data-testid="trigger-idempotency-key"
              />
            </label>
            <label className="field">
              <span>Delay</span>
              <input
                className={errors.delay ? "invalid" : ""}
                value={inputs.delay}
                placeholder="30s, 5m or seconds"
                aria-invalid={errors.delay !== undefined}
                onChange={(e) => set("delay", e.target.value)}
                data-testid="trigger-delay"
              />
            </label>
          </div>
          {errors.delay && (
            <p className="form-error" role="alert" data-testid="trigger-delay-error">
              {errors.delay}
            </p>
          )}
          <p className="hint">A second trigger with the same idempotency key returns the first run instead of starting one.</p>
        </div>
      )}
    </div>
  );
}
