/**
 * A Pulumi.<stack>.yaml file edited in place. The `yaml` Document API finds each value's node and its
 * exact source range; an edit splices the new value's text into that range, so every other byte
 * (comments, blank lines, quoting, key order, indentation) stays as it was. Each edit is checked by
 * parsing the result again.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, parseDocument, Scalar, stringify, YAMLMap } from "yaml";

/** A config key path below the project prefix, such as `["colors", "green", "image"]`. */
export type KeyPath = readonly string[];
export type ScalarValue = string | number | boolean;
/** A scalar, or a map of scalars (only where the key is missing: it is added as a block map). */
export type ConfigValue = ScalarValue | Readonly<Record<string, ScalarValue>>;

export class StackDocumentError extends Error {}

export class StackDocument {
  private readonly doc: Document.Parsed;

  /** `text` is the stack file's content; `project` the prefix of its keys (`bluegreen`). */
  constructor(
    readonly text: string,
    readonly project: string,
    readonly fileName: string,
  ) {
    this.doc = parseDocument(text);
    if (this.doc.errors.length > 0) {
      throw new StackDocumentError(`${fileName} is not valid YAML: ${this.doc.errors[0].message}`);
    }
  }

  /** The value at `path`, or undefined when it is not in the file. */
  get(path: KeyPath): unknown {
    const node = this.doc.getIn(this.docPath(path), true);
    return isScalar(node) ? node.value : (node as { toJSON?: () => unknown } | undefined)?.toJSON?.();
  }

  /** The file with `path` set to `value` (a map only where `path` is missing); every other byte is unchanged. */
  set(path: KeyPath, value: ConfigValue): StackDocument {
    const docPath = this.docPath(path);
    const node = this.doc.getIn(docPath, true);
    let text: string;
    if (node === undefined) {
      text = this.insert(path, value);
    } else if (typeof value === "object") {
      throw new StackDocumentError(`\`${keyName(path)}\` in ${this.fileName} is already set, to something other than a map of values; edit it by hand`);
    } else if (isScalar(node) && node.range) {
      const [start, end] = node.range;
      text = this.text.slice(0, start) + formatScalar(value, node.type) + this.text.slice(end);
    } else {
      throw new StackDocumentError(`\`${keyName(path)}\` in ${this.fileName} is not a single value; edit it by hand`);
    }
    const edited = new StackDocument(text, this.project, this.fileName);
    const expected = this.doc.toJS();
    setPlain(expected, docPath, value);
    if (!isDeepStrictEqual(edited.doc.toJS(), expected)) {
      throw new StackDocumentError(`editing \`${keyName(path)}\` in ${this.fileName} would change other keys; edit it by hand`);
    }
    return edited;
  }

  private docPath(path: KeyPath): string[] {
    const [first, ...rest] = path;
    return ["config", `${this.project}:${first}`, ...rest];
  }

  /**
   * Adds a missing last key as a new line at the top of its (block) map, indented like its
   * siblings; a map value as a block map below it, indented two more spaces.
   */
  private insert(path: KeyPath, value: ConfigValue): string {
    const docPath = this.docPath(path);
    const parent = this.doc.getIn(docPath.slice(0, -1), true);
    const key = docPath[docPath.length - 1];
    if (!isMap(parent) || parent.flow || (parent as YAMLMap).items.length === 0) {
      throw new StackDocumentError(
        `\`${keyName(path.slice(0, -1))}\` in ${this.fileName} is not a block map to add \`${key}\` to; edit it by hand`,
      );
    }
    const firstKey = parent.items[0].key;
    const start = isScalar(firstKey) ? firstKey.range?.[0] : undefined;
    if (start === undefined) throw new StackDocumentError(`cannot find where to add \`${keyName(path)}\` in ${this.fileName}`);
    const lineStart = this.text.lastIndexOf("\n", start - 1) + 1;
    const indent = this.text.slice(lineStart, start);
    if (!/^ *$/.test(indent)) throw new StackDocumentError(`cannot find where to add \`${keyName(path)}\` in ${this.fileName}`);
    const lines =
      typeof value === "object"
        ? `${indent}${key}:\n${Object.entries(value).map(([k, v]) => `${indent}  ${formatScalar(k, undefined)}: ${formatScalar(v, undefined)}\n`).join("")}`
        : `${indent}${key}: ${formatScalar(value, undefined)}\n`;
    return this.text.slice(0, lineStart) + lines + this.text.slice(lineStart);
  }
}

/** `colors.green.image` */
export function keyName(path: KeyPath): string {
  return path.join(".");
}

/** A scalar's source text, in the original's quoting style when it had one. */
function formatScalar(value: ScalarValue, type: Scalar.Type | undefined): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const style = type === "QUOTE_DOUBLE" || type === "QUOTE_SINGLE" ? type : "PLAIN";
  return stringify(value, { defaultStringType: style, lineWidth: 0 }).trimEnd();
}

function setPlain(target: any, path: readonly string[], value: unknown): void {
  let current = target;
  for (const segment of path.slice(0, -1)) current = current[segment];
  current[path[path.length - 1]] = value;
}
