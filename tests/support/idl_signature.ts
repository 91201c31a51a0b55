/**
 * Interfaces and structs declared as data, written the way their `.tars` files read, so tests can
 * hold them to the official IDL line by line.
 *
 * @module
 */
import type { StructType, TarsType } from "../../protocol/codec/types.ts";
import type { CompiledMethod } from "../../protocol/interface.ts";

/** A type as the IDL spells it: `string`, `int32`, `list<Name>`, `map<string,int32>`, a struct's name. */
export function typeName(type: TarsType): string {
  if (type.kind === "struct") return type.name;
  if (type.kind === "list") return `list<${typeName(type.elem)}>`;
  if (type.kind === "map") return `map<${typeName(type.key)},${typeName(type.value)}>`;
  return type.kind;
}

/**
 * A method as its IDL declares it: the return type (`void` without one), then each parameter in
 * tag order as `TAG [out ]NAME TYPE`.
 */
export function methodSignature(method: CompiledMethod): string[] {
  const ret = method.result.byTag[0];
  return [
    ret ? typeName(ret[1].type) : "void",
    ...[...fieldsOf(method.args, false), ...fieldsOf(method.result, true)]
      .sort((a, b) => parseInt(a) - parseInt(b)),
  ];
}

/** A struct's fields as `TAG req|opt NAME TYPE`, in declaration order. */
export function structFields(type: StructType): string[] {
  return type.ordered.map(([name, def]) =>
    `${def.tag} ${def.required ? "req" : "opt"} ${name} ${typeName(def.type)}`
  );
}

function fieldsOf(type: StructType, outParam: boolean): string[] {
  return type.ordered
    .filter(([, def]) => def.tag > 0)
    .map(([name, def]) => `${def.tag} ${outParam ? "out " : ""}${name} ${typeName(def.type)}`);
}
