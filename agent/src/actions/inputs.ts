/** Reading a builtin action's `with:` inputs the way @actions/core and the actions themselves do. */

export type Inputs = Record<string, string>;

/** core.getInput: trimmed, '' when absent; `required` fails as GitHub's runner does. */
export function getInput(inputs: Inputs, name: string, required = false): string {
  const value = (inputs[name] ?? '').trim();
  if (required && !value) throw new Error(`Input required and not supplied: ${name}`);
  return value;
}

/** actions/cache's getInputAsArray: one item per line, `! x` → `!x`, blanks dropped. */
export function getInputAsArray(inputs: Inputs, name: string, required = false): string[] {
  return getInput(inputs, name, required)
    .split('\n')
    .map((s) => s.replace(/^!\s+/, '!').trim())
    .filter((s) => s !== '');
}

/** actions/cache's getInputAsBool: only "true" (any case) is true. */
export function getInputAsBool(inputs: Inputs, name: string): boolean {
  return getInput(inputs, name).toLowerCase() === 'true';
}

/** core.getBooleanInput: YAML 1.2 core schema booleans only; `fallback` is the action.yml default. */
export function getBooleanInput(inputs: Inputs, name: string, fallback: boolean): boolean {
  const value = getInput(inputs, name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\nSupport boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}

/** The major version an action is used at (`actions/x@v4` → 4); null for a SHA or branch. */
export function majorVersion(uses: string): number | null {
  const m = /@v(\d+)(?:[.\d]*)$/.exec(uses.trim());
  return m ? Number(m[1]) : null;
}
