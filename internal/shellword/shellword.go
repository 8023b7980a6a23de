// Package shellword quotes words for a POSIX shell, so the commands
// specgate prints (replay commands, hints) paste and run as they are.
package shellword

import "strings"

// Quote returns s as one shell word: unchanged when it holds only
// characters no shell treats specially, otherwise in single quotes (a
// single quote inside closes the quotes, is escaped, and reopens them).
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == ',' || r == '@' || r == '+' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes every word and joins them with spaces.
func Join(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}
