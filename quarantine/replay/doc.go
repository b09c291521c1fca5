// Package replay sends a quarantined message back to the mail server,
// exactly once, in the format the server expects (../../shared/FORMATS.md):
//
//  1. Exactly once: an item whose history holds a replay, or whose last
//     replay intent in the journal never completed (the outcome is
//     unknown), is refused without Options.Again.
//  2. What to send: fixed.eml (written by `mailroot repair`), or the
//     original with Options.Original. IIS PickUp originals are read as the
//     service reads them (".." at a line start is "."), and any envelope
//     lines at their top are dropped. The file must match the SHA-256 that
//     item.json lists: an unrecorded edit of fixed.eml is refused until it
//     is recorded (quarantine.Store.Rehash, `mailroot repair ID --rehash`),
//     and a changed original is refused as tampering.
//  3. The envelope: --sender/--rcpt, else the one recorded when the item was
//     quarantined, else one derived from the headers with a warning (KB
//     306043: Bcc and list recipients may be lost).
//  4. The exact bytes: a PickUp file (x-sender/x-receiver lines, CRLF,
//     dot-stuffed), a Replay file (X-Sender/X-Receiver first), or the
//     message for SMTP DATA.
//  5. The gate: those bytes are rescanned with the target's folder kind;
//     findings at or above Options.BlockAt refuse the replay unless
//     Options.Force, and broken submission rules (a lone ".", no sender and
//     no From for IIS, over 100 recipients or a header over 64 KB for
//     Exchange) always refuse. Files with the same bytes or Message-ID in
//     the target or original folder are warned about.
//  6. Send: a journal intent first (kind "replay"), then an atomic drop
//     (queue.Stage/Commit: temp file in the item folder, fsync, read-only
//     cleared, renamed in as <ID>.eml, never replacing a file), or an SMTP
//     session (EHLO, STARTTLS when offered, AUTH PLAIN, MAIL, RCPT, DATA).
//  7. Record: the journal completion and a "replayed" history event in
//     item.json (target, time, size, SHA-256 of the bytes sent, SMTP reply)
//     and the replayed state. A 4xx reply or a lost connection is
//     Retryable, a 5xx Failed: both leave the item where it is, with the
//     reply in the journal (abort) and in the history.
package replay
