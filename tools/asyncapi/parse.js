#!/usr/bin/env node
// Parses an AsyncAPI document with the official parser (@asyncapi/parser) and prints its
// diagnostics as JSON: {"errors": [...], "warnings": [...], "infos": [...], "hints": [...]},
// each {"code", "message", "path", "severity"}. Exit 0 if there are no errors, 1 if there are,
// 2 if the document cannot be read. Usage: node parse.js <file> (or "-" for stdin).
"use strict";
const fs = require("fs");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main() {
  const source = process.argv[2] || "-";
  let text;
  try {
    text = fs.readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (error) {
    console.error(`cannot read ${source}: ${error.message}`);
    process.exit(2);
  }
  const parser = new Parser();
  const { diagnostics } = await parser.parse(text, { source: source === "-" ? undefined : source });
  const names = {
    [DiagnosticSeverity.Error]: "errors",
    [DiagnosticSeverity.Warning]: "warnings",
    [DiagnosticSeverity.Information]: "infos",
    [DiagnosticSeverity.Hint]: "hints",
  };
  const report = { errors: [], warnings: [], infos: [], hints: [] };
  for (const d of diagnostics) {
    report[names[d.severity] || "errors"].push({
      code: d.code, message: d.message, path: (d.path || []).join("."), severity: d.severity,
    });
  }
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  process.exit(report.errors.length ? 1 : 0);
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(2);
});
