//go:build !windows

package queue

// ServiceRunning always reports false off Windows: there is no SMTPSVC.
func ServiceRunning(name string) (bool, error) { return false, nil }
