// Package quarantine is the store that suspect messages are moved into:
// one folder per item with the original files byte-identical, an item.json
// chain-of-custody record, and an append-only journal that makes every move
// recoverable after a crash (issue 4).
//
// # Layout
//
//	Quarantine/               created 0700 on Unix; refused if group/other-writable
//	  lock                    OS lock (flock; LockFileEx on Windows) held while open
//	  journal.jsonl           one fsynced JSON line per event (Entry)
//	  01jq7x2m9k4t/           one folder per item, named by its ID
//	    item.json             Record, schema SchemaVersion
//	    NTFS_1a2b.EML         original file(s) under their original names
//	    .tmp-...              temporary files; never the only copy of anything
//
// IDs are 12 lower-case Crockford base32 characters: 40 bits of
// milliseconds since 2020 and 20 random bits, so they sort by creation
// time. Users may type any unique prefix, in any case, with i/l/o for 1/1/0
// (NormalizeID, Store.Resolve). Anything outside the alphabet is refused,
// which refuses "..", separators, drive letters and UNC paths.
//
// # Move protocol (Store.Add)
//
//  1. Check each file is a regular file and is what was scanned (size,
//     time, SHA-256): else *ChangedError (rescan), or *SkippedError when it
//     is locked (Windows sharing violation) or vanished. Nothing changed.
//  2. Journal the intent (OpIntent, KindMove): ID, and for each file the
//     source, destination, temp path, size and SHA-256. Fsynced.
//  3. Create the item folder; fsync the store folder.
//  4. Write item.json with state "pending" (atomic: temp, write, fsync,
//     close, rename, fsync folder).
//  5. Move each file: same volume, a rename that never replaces (renameat2
//     RENAME_NOREPLACE on Linux, MoveFileEx without REPLACE_EXISTING on
//     Windows, retried on transient Windows errors) and an fsync of both
//     folders (Windows has no folder fsync). Across volumes (EXDEV,
//     ERROR_NOT_SAME_DEVICE): copy into the temp file (CopyFileEx on
//     Windows, which keeps NTFS alternate data streams), fsync, verify the
//     SHA-256, rename into place, fsync, and only then remove the source.
//  6. Rewrite item.json with state "quarantined" and a history event.
//  7. Journal the completion (OpDone).
//
// Restore (Store.Restore) is the same protocol in the other direction, after
// checking every store copy against item.json, that nothing exists at
// the original paths, and that each original folder still resolves, links
// on its path followed (filepath.EvalSymlinks), to the real folder
// recorded at quarantine time (File.RealDir, or the recorded folder itself):
// a folder higher up replaced by a link is refused with ErrPathChanged. The
// check runs just before the move; a link swapped in between the check and
// the rename is not detected. Across volumes its temp copy is written inside the
// original folder as .mailroot-tmp-<id>-<name>.partial, except for PickUp
// and Drop, where it goes beside the folder (IIS picks up any file).
//
// If a step fails, Add rolls the item back at once (every file goes back to
// where it was) and returns the error. If the process dies, recovery does
// the same at the next Open.
//
// # Recovery
//
// Open (and Recover, which also sweeps leftover temp files) reads the
// journal and resolves every intent without a completion. For each file it
// hashes both ends: if every file is complete at its destination, the move
// is completed (source leftovers, which are verified duplicates, are
// removed); otherwise it is rolled back (files that already arrived go
// back, duplicates at the destination are removed). A complete temp copy
// whose other ends are gone is promoted. The only complete copy is never
// deleted; if neither direction is safe the transaction is left open and
// reported (RecoveryReport.Problems, Unresolved). Each outcome is journaled
// (OpRecover). A truncated last journal line (a kill mid-write) is
// reported, ended with a newline and kept.
//
// # For repair and replay (the API they build on)
//
//   - Store.Resolve(prefix) and Store.Get(prefix): lookup by unique ID
//     prefix; *AmbiguousIDError lists the candidates, ErrNotFound otherwise.
//   - Store.WriteFile(id, name, role, r): add a new file (e.g. a repaired
//     copy) to an item atomically, journaled (KindWrite), listed in
//     item.json with its SHA-256 and a "file-added" history event. It never
//     overwrites (*ExistsError); names are plain file names.
//   - Originals (roles message, bdr, bdp) are evidence: nothing replaces
//     or re-records them, and Verify reports any change. Derived files may
//     change through the store: Store.ReplaceFile(id, name, role, r)
//     writes a new version atomically (temp, fsync, journal KindReplace,
//     rename over, item.json with the new SHA-256 and a "file-replaced"
//     event with the old one); Store.Rehash(id, name, note) records the
//     hash of a file edited in place ("rehashed": "edited by hand, sha256
//     old -> new"). Both refuse originals with ErrOriginal.
//   - Store.SetState(id, StateRepaired|StateReplayed, Event): checked
//     transitions (quarantined -> repaired -> repaired/replayed,
//     quarantined -> replayed), a history event and an OpState journal line.
//   - Store.AppendHistory(id, Event): any other event.
//   - Store.Journal(Entry): journal your own transactions, e.g.
//     {Op: OpIntent, Kind: "replay", Txn: t, ID: id, Files: ...} then
//     {Op: OpDone, Txn: t}. Recovery leaves intents of kinds it does not
//     own open; Store.OpenIntents lists them after Open so that their owner
//     can resolve them, then journal OpDone/OpAbort/OpRecover for the Txn.
//   - Store.Path(id, name) and Store.ItemDir(id): paths inside an item.
//
// # Windows
//
// OS-specific code is in *_windows.go and *_unix.go. The live-service guard
// refuses to move files out of a Queue folder while SMTPSVC runs, unless
// AddRequest.Force (queue.ServiceRunning). Store permissions are not
// checked on Windows (ACLs are inherited from the mailroot folder).
// Verified on Windows: cross-compilation only; the Windows code paths
// (CopyFileEx, MoveFileEx, LockFileEx, retries) have not been run on a
// Windows machine by these tests.
//
// The package never prints; it returns results and typed errors, and
// takes an optional *slog.Logger.
package quarantine
