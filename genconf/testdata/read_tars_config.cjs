// Reads a TARS config file with the official Node reader (@tars/utils) and prints what it
// parsed as JSON: {"ok": <parseText result>, "data": <nested sections and values>}.
"use strict";
const fs = require("fs");
const { Config } = require("@tars/utils");

const config = new Config();
const ok = config.parseText(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(
  JSON.stringify({ ok, data: config.data }, (_key, value) => value === undefined ? null : value),
);
