// Package quarantine is the store that suspect messages are moved into:
// one folder per item with the original files byte-identical, an item.json
// chain-of-custody record, and an append-only journal that makes every move
// recoverable after a crash.
package quarantine
