/**
 * `QueryF` (QueryF.tars): the registry's lookups of which endpoints serve an object.
 *
 * @module
 */
import { int32, list, string } from "../codec/types.ts";
import { defineInterface, out, param } from "../interface.ts";
import { EndpointF } from "./endpoint_f.ts";

/** Servant name of the registry's name lookup object. */
export const QUERY_OBJ = "tars.tarsregistry.QueryObj";

const EndpointList = list(EndpointF);

/** `tars.QueryF`: which endpoints serve an object. */
export const QueryF = defineInterface("QueryF", {
  findObjectById: { params: [param("id", string)], ret: EndpointList },
  findObjectById4Any: {
    params: [param("id", string), out("activeEp", EndpointList), out("inactiveEp", EndpointList)],
    ret: int32,
  },
  findObjectById4All: {
    params: [param("id", string), out("activeEp", EndpointList), out("inactiveEp", EndpointList)],
    ret: int32,
  },
  findObjectByIdInSameGroup: {
    params: [param("id", string), out("activeEp", EndpointList), out("inactiveEp", EndpointList)],
    ret: int32,
  },
  findObjectByIdInSameStation: {
    params: [
      param("id", string),
      param("sStation", string),
      out("activeEp", EndpointList),
      out("inactiveEp", EndpointList),
    ],
    ret: int32,
  },
  findObjectByIdInSameSet: {
    params: [
      param("id", string),
      param("setId", string),
      out("activeEp", EndpointList),
      out("inactiveEp", EndpointList),
    ],
    ret: int32,
  },
});
