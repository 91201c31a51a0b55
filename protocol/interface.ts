/**
 * TARS interfaces declared as data. One declaration gives the typed client proxy, the typed
 * servant signature, and the argument and result codecs for both packet versions.
 *
 * @module
 */
import { decode, encode } from "./codec/codec.ts";
import {
  type FieldDef,
  type Infer,
  type InferInput,
  req,
  struct,
  type StructType,
  type TarsType,
} from "./codec/types.ts";

/** One parameter of a method; `out` parameters travel in the reply. */
export interface ParamDef<N extends string = string, T extends TarsType = TarsType> {
  readonly name: N;
  readonly type: T;
  readonly out: boolean;
}

/** An input parameter. */
export function param<const N extends string, T extends TarsType>(
  name: N,
  type: T,
): ParamDef<N, T> & { out: false } {
  return { name, type, out: false };
}

/** An output parameter (`out` in the IDL). */
export function out<const N extends string, T extends TarsType>(
  name: N,
  type: T,
): ParamDef<N, T> & { out: true } {
  return { name, type, out: true };
}

/** A method: its parameters in declaration order, and its return type (none for `void`). */
export interface MethodDef<
  P extends readonly ParamDef[] = readonly ParamDef[],
  R extends TarsType | undefined = TarsType | undefined,
> {
  readonly params: P;
  readonly ret?: R;
}

/** A method with the codecs derived from its declaration. */
export interface CompiledMethod {
  readonly name: string;
  readonly def: MethodDef;
  /** In-parameters at tags 1..n (out-parameters keep their places). */
  readonly args: StructType;
  /** Return value at tag 0, out-parameters at their tags. */
  readonly result: StructType;
}

/** A declared interface. */
export interface InterfaceDef<M extends Record<string, MethodDef> = Record<string, MethodDef>> {
  readonly name: string;
  readonly methods: M;
  readonly compiled: ReadonlyMap<string, CompiledMethod>;
}

/** The in-parameters of a method as the caller passes them. */
export type InArgs<M extends MethodDef> = {
  [X in M["params"][number] as X["out"] extends true ? never : X["name"]]: InferInput<X["type"]>;
};

/** The in-parameters as a servant receives them (decoded). */
export type DecodedArgs<M extends MethodDef> = {
  [X in M["params"][number] as X["out"] extends true ? never : X["name"]]: Infer<X["type"]>;
};

type RetPart<M extends MethodDef> = M["ret"] extends TarsType ? { ret: Infer<M["ret"]> }
  : Record<never, never>;
type RetInput<M extends MethodDef> = M["ret"] extends TarsType ? { ret: InferInput<M["ret"]> }
  : Record<never, never>;

/** What a call resolves to: `ret` (unless void) and every out-parameter by name. */
export type CallResult<M extends MethodDef> =
  & RetPart<M>
  & { [X in M["params"][number] as X["out"] extends true ? X["name"] : never]: Infer<X["type"]> };

/** What a servant returns: `ret` (unless void) and every out-parameter by name. */
export type ServantResult<M extends MethodDef> =
  & RetInput<M>
  & {
    [X in M["params"][number] as X["out"] extends true ? X["name"] : never]: InferInput<
      X["type"]
    >;
  };

/** The key under which a simple TUP reply carries the return value (also sent as `tars_ret`). */
export const TUP_RETURN_KEY = "";

/** Declares an interface; every method's codecs are built here, once. */
export function defineInterface<const M extends Record<string, MethodDef>>(
  name: string,
  methods: M,
): InterfaceDef<M> {
  const compiled = new Map<string, CompiledMethod>();
  for (const [methodName, def] of Object.entries(methods)) {
    compiled.set(methodName, compileMethod(`${name}.${methodName}`, methodName, def));
  }
  return { name, methods, compiled };
}

function compileMethod(fullName: string, name: string, def: MethodDef): CompiledMethod {
  const args: Record<string, FieldDef> = {};
  const result: Record<string, FieldDef> = {};
  if (def.ret) result.ret = req(0, def.ret);
  def.params.forEach((p, i) => {
    if (p.name === "ret") throw new RangeError(`${fullName}: a parameter may not be named "ret"`);
    (p.out ? result : args)[p.name] = req(i + 1, p.type);
  });
  return {
    name,
    def,
    args: struct(`${fullName} arguments`, args),
    result: struct(`${fullName} result`, result),
  };
}

/** Encodes the fields of a struct as a simple TUP map: each value at tag 0 under its name. */
export function encodeTupMap(
  type: StructType,
  value: Record<string, unknown>,
  options?: { retAlias?: boolean },
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [key, def] of type.ordered) {
    if (value[key] === undefined) continue;
    const bytes = encode(def.type, value[key] as never);
    if (key === "ret" && def.tag === 0) {
      out.set(TUP_RETURN_KEY, bytes);
      if (options?.retAlias) out.set("tars_ret", bytes);
    } else {
      out.set(key, bytes);
    }
  }
  return out;
}

/** Decodes a simple TUP map into the fields of a struct; missing fields are an error. */
export function decodeTupMap(
  type: StructType,
  values: ReadonlyMap<string, Uint8Array>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of type.ordered) {
    const bytes = key === "ret" && def.tag === 0
      ? values.get(TUP_RETURN_KEY) ?? values.get("tars_ret")
      : values.get(key);
    if (bytes === undefined) {
      throw new RangeError(`TUP ${type.name}: value "${key}" is missing`);
    }
    out[key] = decode(def.type as TarsType, bytes);
  }
  return out;
}
