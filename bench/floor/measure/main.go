// measure runs a command and writes what it cost, from the kernel's accounting (wait4's
// rusage, which includes the children it waited for): wall time, user and system CPU, and
// the largest resident set of the process or any of its waited-for children.
// Usage: measure OUT.json command args...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: measure OUT.json command args...")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	started := time.Now()
	err := cmd.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	_ = cmd.Wait()
	wall := time.Since(started)
	usage, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	result := map[string]any{
		"exitCode":  cmd.ProcessState.ExitCode(),
		"wallMs":    float64(wall.Microseconds()) / 1000,
		"userMs":    float64(usage.Utime.Sec*1000) + float64(usage.Utime.Usec)/1000,
		"sysMs":     float64(usage.Stime.Sec*1000) + float64(usage.Stime.Usec)/1000,
		"maxRssKiB": usage.Maxrss,
	}
	out, _ := json.Marshal(result)
	if err := os.WriteFile(os.Args[1], out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
