// Package mime is mailroot's forensic MIME scanner: it reads one message in a
// single streaming pass and reports, with byte offsets, every malformation
// in the rule catalogue (../shared/RULES.md) that has crashed or hung a mail
// server, together with the MIME tree, a header summary and the SMTP
// envelope the file carries (pickup x-sender/x-receiver lines, Drop and
// Exchange Replay X-Sender/X-Receiver headers).
//
// The scanner is tolerant where go-message is strict: it never stops at the
// first malformed header, because a forensic tool must see every defect.
// Memory is bounded (header fields up to Limits.HeaderBytesKept, plus
// fixed-size read windows) whatever the message size, and time is linear in
// the input with hard caps on nesting, parts and header fields.
//
// # Model
//
// A line reader hands the bytes to the core in pieces of at most one 64 KiB
// window, hashing them as it goes (SHA-256, or with Options.DeferSHA256 a
// CRC-32C, the SHA-256 then computed by Report.FillSHA256 from a second
// read). The core keeps a stack of MIME entities. The entity on top is in
// its header phase, where lines become header fields, or in its body
// phase: a multipart looks for delimiter lines of its own boundary and of
// every open ancestor's (a delimiter of an ancestor closes everything
// inside it), a message/rfc822 entity holds one embedded entity, and a leaf
// streams its lines to the body checkers.
//
// Most bytes of a queue are leaf bodies, so a leaf's lines take a faster
// road (scan_bulk.go): runs of whole lines that the line-at-a-time path
// would treat alike go to the checkers in one call, and the amd64 assembly
// in b64clean_amd64.s validates base64 runs and counts line endings 16 or
// 32 bytes at a time. The reports are the same either way, also when the
// findings limits are reached inside a run (the reporter keeps a run's
// findings in line-at-a-time order); the tests compare the two on every
// corpus message and fuzz input.
//
// Rule families plug in through check.go: fieldChecks see each header field
// as soon as it is complete, headerChecks each header block once it has
// ended (with the Content-Type and Content-Transfer-Encoding decoded), and
// bodyCheckerFactories give checkers that the core feeds every body line
// of a leaf part. Rules about the line stream and the tree itself (STR-001..
// 005, STR-009, MP-*, HDR-003/004/006, ENV-*) live with the core.
//
// # Offsets, lines and parts
//
// Offsets count bytes from the start of the file. Line numbers are 1-based
// and count line endings: CRLF, a bare LF and a bare CR (a CR not followed
// by LF) each end a line. The message is part "1", its children "1.1",
// "1.2", ..., and the entity inside a message/rfc822 part P is "P.1". A
// part's body ends before the line ending that precedes the delimiter that
// closes it (RFC 2046 5.1.1).
//
// Anomalies are findings, not errors: Scan returns an error only when the
// reader fails.
package mime
