/**
 * TARS type descriptors. A struct is declared once as data; its TypeScript type, encoder and
 * decoder all come from that one declaration.
 *
 * @module
 */

/** Wire type codes (the low four bits of a head byte). */
export const WireType = {
  INT1: 0,
  INT2: 1,
  INT4: 2,
  INT8: 3,
  FLOAT: 4,
  DOUBLE: 5,
  STRING1: 6,
  STRING4: 7,
  MAP: 8,
  LIST: 9,
  STRUCT_BEGIN: 10,
  STRUCT_END: 11,
  ZERO: 12,
  SIMPLE_LIST: 13,
} as const;

/** A scalar TARS type. */
export interface ScalarType<K extends string> {
  readonly kind: K;
}

/** `vector<T>`. */
export interface ListType<E extends TarsType = TarsType> {
  readonly kind: "list";
  readonly elem: E;
}

/** `map<K, V>`, decoded as a JavaScript `Map`. */
export interface MapType<K extends TarsType = TarsType, V extends TarsType = TarsType> {
  readonly kind: "map";
  readonly key: K;
  readonly value: V;
}

/** One field of a struct: its tag, type, whether it is required, and its default. */
export interface FieldDef<T extends TarsType = TarsType, R extends boolean = boolean> {
  readonly tag: number;
  readonly type: T;
  readonly required: R;
  /** The value a reader uses when an optional field is absent. */
  readonly default?: unknown;
}

/** The fields of a struct, keyed by their names. */
export type Fields = Readonly<Record<string, FieldDef>>;

/** A struct type: a name and its fields. */
export interface StructType<F extends Fields = Fields> {
  readonly kind: "struct";
  readonly name: string;
  readonly fields: F;
  /** Fields by tag (0..255) for one-pass decoding. */
  readonly byTag: readonly (readonly [string, FieldDef] | undefined)[];
  /** Fields in ascending tag order for encoding. */
  readonly ordered: readonly (readonly [string, FieldDef])[];
  /** True when every field is a scalar (no struct, list or map): a frozen value cannot change. */
  readonly flat: boolean;
}

/** Every TARS type. */
export type TarsType =
  | ScalarType<"bool">
  | ScalarType<"int8">
  | ScalarType<"int16">
  | ScalarType<"int32">
  | ScalarType<"int64">
  | ScalarType<"float">
  | ScalarType<"double">
  | ScalarType<"string">
  | ScalarType<"bytes">
  | ListType
  | MapType
  // deno-lint-ignore no-explicit-any
  | StructType<any>;

/** The JavaScript value of a TARS type. */
export type Infer<T> = T extends ScalarType<"bool"> ? boolean
  : T extends ScalarType<"int64"> ? bigint
  : T extends ScalarType<"int8" | "int16" | "int32" | "float" | "double"> ? number
  : T extends ScalarType<"string"> ? string
  : T extends ScalarType<"bytes"> ? Uint8Array
  : T extends ListType<infer E> ? Infer<E>[]
  : T extends MapType<infer K, infer V> ? Map<Infer<K>, Infer<V>>
  : T extends StructType<infer F> ? StructValue<F>
  : never;

/** What an encoder accepts for a TARS type (optional struct fields may be left out). */
export type InferInput<T> = T extends ListType<infer E> ? readonly InferInput<E>[]
  : T extends MapType<infer K, infer V> ? ReadonlyMap<Infer<K>, InferInput<V>>
  : T extends StructType<infer F> ? StructInput<F>
  : Infer<T>;

type RequiredKeys<F extends Fields> = {
  [K in keyof F]: F[K] extends FieldDef<TarsType, true> ? K : never;
}[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;

/** A decoded struct: every field present (absent optional fields get their defaults). */
export type StructValue<F extends Fields> = { -readonly [K in keyof F]: Infer<F[K]["type"]> };

/** A struct as given to the encoder: required fields must be present. */
export type StructInput<F extends Fields> =
  & { readonly [K in RequiredKeys<F>]: InferInput<F[K]["type"]> }
  & { readonly [K in OptionalKeys<F>]?: InferInput<F[K]["type"]> };

/** `bool`, written as a byte. */
export const bool: ScalarType<"bool"> = { kind: "bool" };
/** `byte` / `char`. */
export const int8: ScalarType<"int8"> = { kind: "int8" };
/** `short`. */
export const int16: ScalarType<"int16"> = { kind: "int16" };
/** `int`. */
export const int32: ScalarType<"int32"> = { kind: "int32" };
/** `long`, as a bigint. */
export const int64: ScalarType<"int64"> = { kind: "int64" };
/** `float`. */
export const float: ScalarType<"float"> = { kind: "float" };
/** `double`. */
export const double: ScalarType<"double"> = { kind: "double" };
/** `string`. */
export const string: ScalarType<"string"> = { kind: "string" };
/** `vector<byte>`, written as a simple list. */
export const bytes: ScalarType<"bytes"> = { kind: "bytes" };

/** `vector<E>`. */
export function list<E extends TarsType>(elem: E): ListType<E> {
  return { kind: "list", elem };
}

/** `map<K, V>`. */
export function map<K extends TarsType, V extends TarsType>(key: K, value: V): MapType<K, V> {
  return { kind: "map", key, value };
}

/** A `require` field. */
export function req<T extends TarsType>(tag: number, type: T): FieldDef<T, true> {
  checkTag(tag);
  return { tag, type, required: true };
}

/** An `optional` field, with the default a reader uses when it is absent. */
export function opt<T extends TarsType>(
  tag: number,
  type: T,
  defaultValue?: Infer<T>,
): FieldDef<T, false> {
  checkTag(tag);
  return defaultValue === undefined
    ? { tag, type, required: false }
    : { tag, type, required: false, default: defaultValue };
}

function checkTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 255) {
    throw new RangeError(`Field tag ${tag} is out of range: tags go from 0 to 255`);
  }
}

/** Declares a struct from its fields; tags must be unique. */
export function struct<F extends Fields>(name: string, fields: F): StructType<F> {
  const byTag: (readonly [string, FieldDef] | undefined)[] = new Array(256).fill(undefined);
  for (const [key, def] of Object.entries(fields)) {
    const other = byTag[def.tag];
    if (other) {
      throw new RangeError(
        `Struct ${name}: fields "${other[0]}" and "${key}" share tag ${def.tag}`,
      );
    }
    byTag[def.tag] = [key, def];
  }
  const ordered = byTag.filter((x): x is readonly [string, FieldDef] => x !== undefined);
  const flat = ordered.every(([, def]) => !["struct", "list", "map"].includes(def.type.kind));
  return { kind: "struct", name, fields, byTag, ordered, flat };
}

/** The value a reader gives an absent optional field of this type. */
export function zeroValue(type: TarsType): unknown {
  switch (type.kind) {
    case "bool":
      return false;
    case "int64":
      return 0n;
    case "int8":
    case "int16":
    case "int32":
    case "float":
    case "double":
      return 0;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "list":
      return [];
    case "map":
      return new Map();
    case "struct": {
      const value: Record<string, unknown> = {};
      for (const [key, def] of type.ordered) value[key] = defaultOf(def);
      return value;
    }
  }
}

/** The default of a field: its declared default, else the zero value of its type. */
export function defaultOf(def: FieldDef): unknown {
  if (def.default === undefined) return zeroValue(def.type);
  // Mutable defaults (lists, maps, bytes, structs, at any depth) are deep-copied so decoded
  // values never share state with each other or with the declaration.
  return typeof def.default === "object" ? structuredClone(def.default) : def.default;
}
