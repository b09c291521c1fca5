// Package queue knows what is on disk in an IIS SMTP or Exchange mailroot:
// it recognises layouts (Exchange 2000/2003 "vsi N" folders, an IIS
// mailroot with Drop, Exchange 2007+ Pickup and Replay, or any folder of
// .eml files), streams directory listings without holding them in memory,
// groups BadMail .BAD/.BDR/.BDP triplets into one item, and checks the
// file-system rules of the catalogue (Q family and ENV-004). The formats are
// described in ../shared/FORMATS.md.
package queue
