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
// Anomalies are findings, not errors: Scan returns an error only when the
// reader fails.
package mime
