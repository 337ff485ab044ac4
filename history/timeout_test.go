package history

import (
	"testing"
	"time"
)

func TestPgTimeouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want           string
		connect, statement time.Duration
	}{
		{"postgres://u:p@h/db", "postgres://u:p@h/db?connect_timeout=5&statement_timeout=30000", 5 * time.Second, 30 * time.Second},
		{"postgres://h/db?sslmode=disable&connect_timeout=2", "postgres://h/db?connect_timeout=2&sslmode=disable&statement_timeout=30000", 2 * time.Second, 30 * time.Second},
		{"postgres://h/db?statement_timeout=1min", "postgres://h/db?connect_timeout=5&statement_timeout=1min", 5 * time.Second, time.Minute},
		{"postgres://h/db?statement_timeout=250", "postgres://h/db?connect_timeout=5&statement_timeout=250", 5 * time.Second, 250 * time.Millisecond},
		{"postgres://h/db?statement_timeout=soon", "postgres://h/db?connect_timeout=5&statement_timeout=soon", 5 * time.Second, 30 * time.Second},
	} {
		got, c, s := pgTimeouts(tc.in)
		if got != tc.want || c != tc.connect || s != tc.statement {
			t.Errorf("pgTimeouts(%q) = %q, %v, %v; want %q, %v, %v", tc.in, got, c, s, tc.want, tc.connect, tc.statement)
		}
	}
	if d := Timeout("postgres://h/db"); d != 65*time.Second {
		t.Errorf("Timeout = %v, want 65s", d)
	}
	if d := Timeout("history.db"); d != 0 {
		t.Errorf("SQLite Timeout = %v, want 0", d)
	}
}
