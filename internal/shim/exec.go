package shim

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// StderrTailBytes is how much of a child's stderr a Client keeps.
const StderrTailBytes = 4 << 10

// Grace periods of the exec transport. They bound how long a fault report
// may wait for the child; none of them appears in an Error.
const (
	exitWait     = 2 * time.Second        // for the exit status after output ended
	stderrWait   = 200 * time.Millisecond // for the last stderr bytes after exit
	shutdownWait = time.Second            // for a clean exit after stdin closed
)

// noDeadlines makes exec transports use the watchdog even where pipes
// support deadlines (tests exercise the path other platforms take).
var noDeadlines bool

// SplitCommandLine splits an exec: command line into words the way a POSIX
// shell does, without any expansion: blanks separate words; 'single quotes'
// keep everything literally; "double quotes" keep everything except that a
// backslash escapes ", \, $, ` and newline; outside quotes a backslash
// escapes the next character (a backslash-newline pair disappears). Empty
// quotes make an empty word. Unbalanced quotes and a trailing backslash are
// errors.
func SplitCommandLine(s string) ([]string, error) {
	var (
		words  []string
		cur    []byte
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			if inWord {
				words = append(words, string(cur))
				cur = cur[:0]
				inWord = false
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unbalanced single quote at byte %d", i)
			}
			cur = append(cur, s[i+1:i+1+j]...)
			inWord = true
			i += j + 1
		case '"':
			start := i
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case '"', '\\', '$', '`':
						i++
					case '\n':
						i++
						continue
					}
				}
				cur = append(cur, s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unbalanced double quote at byte %d", start)
			}
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			if s[i] == '\n' {
				continue
			}
			cur = append(cur, s[i])
			inWord = true
		default:
			cur = append(cur, c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, string(cur))
	}
	return words, nil
}

// childEnv builds the minimal environment of an exec child.
func childEnv(extra []string) []string {
	var env []string
	for _, k := range baseEnvKeys {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// ring keeps the last StderrTailBytes written to it.
type ring struct {
	mu   sync.Mutex
	buf  []byte
	full bool
	pos  int
}

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	if r.buf == nil {
		r.buf = make([]byte, StderrTailBytes)
	}
	if len(p) > len(r.buf) {
		p = p[len(p)-len(r.buf):]
	}
	for len(p) > 0 {
		c := copy(r.buf[r.pos:], p)
		p = p[c:]
		r.pos += c
		if r.pos == len(r.buf) {
			r.pos = 0
			r.full = true
		}
	}
	return n, nil
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return string(r.buf[:r.pos])
	}
	return string(r.buf[r.pos:]) + string(r.buf[:r.pos])
}

// execConn is a running child process.
type execConn struct {
	argv   []string
	cmd    *exec.Cmd
	stdin  *os.File // our write end of the child's stdin
	stdout *os.File // our read end of the child's stdout
	errR   *os.File // our read end of the child's stderr
	r      *bufio.Reader
	log    *slog.Logger

	stderr     ring
	stderrDone chan struct{}
	exited     chan struct{}
	state      *os.ProcessState // valid once exited is closed

	// native is true when the pipes support deadlines; otherwise a
	// watchdog kills the child when the deadline passes.
	native   bool
	watchdog *time.Timer
	fired    atomic.Bool
	killed   atomic.Bool

	closeOnce sync.Once
}

func startExec(argv []string, env []string, log *slog.Logger) (_ *execConn, err error) {
	unreachable := func(detail string, cause error) error {
		log.Debug("shim start failed", "argv", argv, "cause", cause)
		return &Error{Kind: KindUnreachable, Detail: detail}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if cmd.Err != nil {
		switch {
		case errors.Is(cmd.Err, exec.ErrNotFound):
			return nil, unreachable(fmt.Sprintf("cannot start %q: executable not found", argv[0]), cmd.Err)
		case errors.Is(cmd.Err, fs.ErrNotExist):
			return nil, unreachable(fmt.Sprintf("cannot start %q: no such file", argv[0]), cmd.Err)
		case errors.Is(cmd.Err, fs.ErrPermission):
			return nil, unreachable(fmt.Sprintf("cannot start %q: permission denied", argv[0]), cmd.Err)
		}
		return nil, unreachable(fmt.Sprintf("cannot start %q: %v", argv[0], cmd.Err), cmd.Err)
	}
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()

	var files []*os.File
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
		}
	}()
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, unreachable("cannot create pipes", err)
	}
	files = append(files, inR, inW)
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, unreachable("cannot create pipes", err)
	}
	files = append(files, outR, outW)
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, unreachable("cannot create pipes", err)
	}
	files = append(files, errR, errW)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, unreachable(fmt.Sprintf("cannot start %q: no such file", argv[0]), err)
		case errors.Is(err, fs.ErrPermission):
			return nil, unreachable(fmt.Sprintf("cannot start %q: permission denied", argv[0]), err)
		case errors.Is(err, syscall.ENOEXEC):
			return nil, unreachable(fmt.Sprintf("cannot start %q: not an executable", argv[0]), err)
		}
		return nil, unreachable(fmt.Sprintf("cannot start %q", argv[0]), err)
	}
	inR.Close()
	outW.Close()
	errW.Close()

	e := &execConn{
		argv: argv, cmd: cmd, stdin: inW, stdout: outR, errR: errR,
		r:          bufio.NewReaderSize(outR, 64<<10),
		log:        log,
		stderrDone: make(chan struct{}),
		exited:     make(chan struct{}),
	}
	e.native = !noDeadlines && outR.SetReadDeadline(time.Time{}) == nil && inW.SetWriteDeadline(time.Time{}) == nil
	log.Debug("shim started", "argv", argv, "pid", cmd.Process.Pid, "deadlines", e.native)
	go func() {
		defer close(e.stderrDone)
		buf := make([]byte, 4096)
		for {
			n, err := errR.Read(buf)
			if n > 0 {
				e.stderr.Write(buf[:n])
				log.Debug("shim stderr", "text", string(buf[:n]))
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		cmd.Wait()
		e.state = cmd.ProcessState
		close(e.exited)
	}()
	return e, nil
}

func (e *execConn) Write(p []byte) (int, error) { return e.stdin.Write(p) }
func (e *execConn) reader() *bufio.Reader       { return e.r }

func (e *execConn) setDeadline(t time.Time) {
	if e.native {
		e.stdout.SetReadDeadline(t)
		e.stdin.SetWriteDeadline(t)
		return
	}
	e.fired.Store(false)
	e.watchdog = time.AfterFunc(time.Until(t), func() {
		e.fired.Store(true)
		e.kill()
	})
}

func (e *execConn) disarm() {
	if e.watchdog != nil {
		e.watchdog.Stop()
		e.watchdog = nil
	}
}

func (e *execConn) interrupt() {
	if e.native {
		past := time.Unix(1, 0)
		e.stdout.SetReadDeadline(past)
		e.stdin.SetWriteDeadline(past)
		return
	}
	e.fired.Store(true)
	e.kill()
}

func (e *execConn) timedOut(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || e.fired.Load()
}

// broken reports whether the child was killed, for example by an
// interrupt that raced with a successful answer.
func (e *execConn) broken() bool { return e.killed.Load() }

func (e *execConn) kill() {
	e.killed.Store(true)
	killGroup(e.cmd.Process)
}

func (e *execConn) ioFailure(err error, partial bool) string {
	what := "shim exited before answering"
	if partial {
		what = "shim exited in the middle of a response line"
	}
	select {
	case <-e.exited:
	case <-time.After(exitWait):
		e.kill()
		select {
		case <-e.exited:
		case <-time.After(exitWait):
		}
		if partial {
			return "shim stopped writing in the middle of a response line and did not exit (killed)"
		}
		return "shim closed its output without exiting (killed)"
	}
	return what + " (" + e.state.String() + ")"
}

func (e *execConn) stderrTail() string { return e.stderr.String() }

// close stops the child. When graceful, it closes stdin and gives the
// child a moment to exit on its own; then it kills the process group and
// lets the stderr reader drain.
func (e *execConn) close(graceful bool) {
	e.closeOnce.Do(func() {
		e.disarm()
		e.stdin.Close()
		if graceful {
			select {
			case <-e.exited:
			case <-time.After(shutdownWait):
			}
		}
		e.kill()
		select {
		case <-e.exited:
		case <-time.After(exitWait):
			e.log.Warn("shim child did not exit after SIGKILL", "pid", e.cmd.Process.Pid)
		}
		select {
		case <-e.stderrDone:
		case <-time.After(stderrWait):
		}
		e.stdout.Close()
		e.errR.Close()
		e.log.Debug("shim stopped", "pid", e.cmd.Process.Pid)
	})
}
