package queue

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// ServiceRunning reports whether the Windows service name (e.g. "SMTPSVC")
// is in any state other than stopped: start or stop pending, running,
// paused. A service that does not exist is not running (false, nil).
//
// It asks the service control manager for SERVICE_QUERY_STATUS only, so it
// works without administrator rights (x/sys/windows/svc/mgr.Connect asks for
// full access, which needs them).
func ServiceRunning(name string) (bool, error) {
	m, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return false, fmt.Errorf("open service control manager: %w", err)
	}
	defer windows.CloseServiceHandle(m)
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return false, fmt.Errorf("service %q: %w", name, err)
	}
	s, err := windows.OpenService(m, n, windows.SERVICE_QUERY_STATUS)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return false, nil
		}
		return false, fmt.Errorf("open service %q: %w", name, err)
	}
	defer windows.CloseServiceHandle(s)
	var st windows.SERVICE_STATUS
	if err := windows.QueryServiceStatus(s, &st); err != nil {
		return false, fmt.Errorf("query service %q: %w", name, err)
	}
	return st.CurrentState != windows.SERVICE_STOPPED, nil
}
