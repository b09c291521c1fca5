// Package repair makes a fixed copy of a malformed message: one safe fixer
// per rule of the catalogue (../../shared/RULES.md) that has one, each
// recording what it changed (rule, what, part, input offset and line).
// A fix is safe when the repaired message means what the original meant
// to a tolerant reader: a header without its empty line gets one where the
// body begins (STR-001), line endings become CRLF (STR-002), lone "." lines
// in IIS PickUp files are dot-stuffed (STR-003, KB 221384), long header
// lines are re-folded and parts with long lines re-encoded (STR-004), NUL
// and control bytes leave headers (STR-006, STR-007), parameter lists are
// rewritten (CT-001, CT-003, CT-004, MP-004), a missing closing delimiter
// is added (MP-002), broken base64 is re-encoded or kept verbatim in an
// application/octet-stream part (ENC-001), broken quoted-printable is
// decoded leniently and encoded again (ENC-004), broken RFC 2047 words are
// re-encoded (ENC-005), and an unparseable Date is replaced by the file
// time with the original kept in X-Original-Date (HDR-002).
//
// Rules without a safe fix (deep nesting, TNEF, a missing From...) are
// returned as Manual entries. Repair is pure: bytes in, bytes out; it never
// touches files. The parse is tolerant and bounded (nesting depth
// maxDepth, input size Options.MaxSize), and never fails on content.
package repair
