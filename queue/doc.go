// Package queue knows what is on disk in an IIS SMTP or Exchange mailroot:
// it recognises layouts (Exchange 2000/2003 "vsi N" folders, an IIS
// mailroot with Drop, Exchange 2007+ Pickup and Replay, or any folder of
// .eml files), streams directory listings without holding them in memory,
// groups BadMail .BAD/.BDR/.BDP triplets into one item, and checks the
// file-system rules of the catalogue (Q family and ENV-004). The formats are
// described in ../shared/FORMATS.md.
//
// # Use
//
// [Detect] (or [Explicit] for a folder the user names with its role)
// returns a [Layout]; [Walk] streams its [Item]s to a callback and reports
// what it passes over as [Skip]s. Items carry their file-system findings;
// Q-002 needs all Queue items, so a caller feeds them to a [Blockers]
// tracker while streaming and asks it for the candidates at the end
// ([BlockerFinding] makes the finding). [ParseBDR] decodes BadMail reasons.
//
// # What is never done
//
// Nothing here writes, moves or opens a file for writing (except the pickup
// writer in pickupfile.go). Links, junctions and other reparse points inside
// a mailroot are never followed; folders nested inside mail folders, the
// Quarantine store and unknown folders are not scanned. Each is reported.
//
// # Windows
//
// Folder names match case-insensitively; paths with spaces and non-ASCII
// names work. On Windows each file's creation time, read-only attribute and
// NTFS alternate data streams (FindFirstStreamW) are recorded, [IsLocked]
// recognises sharing violations (IIS keeps the files it works on open), and
// [ServiceRunning] asks the service control manager whether SMTPSVC runs.
// The name handling and error classification live in plain files with unit
// tests that run on every OS; only the system calls are build-tagged.
package queue
