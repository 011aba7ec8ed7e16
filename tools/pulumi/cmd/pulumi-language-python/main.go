// Command pulumi-language-python runs a Pulumi Python program for the Pulumi
// engine: the language host the CLI starts for `runtime: python`.
//
// Pulumi's own host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
// is not served by the Go module proxy this project reaches (see README.md,
// "Pulumi"), so this one is ours. It does what the engine needs from a Python
// host and no more:
//
//   - Run: runs the program with the project's virtualenv (Pulumi.yaml
//     `runtime.options.virtualenv`) through pulumi-language-python-exec, our
//     launcher next to this binary, with the stack's config in PULUMI_CONFIG;
//   - GetRequiredPackages / GetRequiredPlugins: the resource plugins the
//     installed packages declare (a `pulumi-plugin.json` with "resource": true,
//     the rule Pulumi's Python host applies), so the engine asks for exactly
//     the plugins a real host would make it ask for;
//   - InstallDependencies (`pulumi install`): creates the virtualenv and runs
//     `pip install -r requirements.txt` in it.
//
// Everything else answers Unimplemented, which the engine tolerates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The version this host reports (GetPluginInfo): the pulumi SDK it was written for.
const version = "3.274.0"

// Exit code of the launcher after it has shown the user an error (no second message).
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	mu            sync.Mutex
	running       []*exec.Cmd
}

func main() {
	args := []string{}
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			args = append(args, arg)
		}
	}
	h := &host{}
	if len(args) > 0 {
		h.engineAddress = args[len(args)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: pulumi-language-python could not listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "error: pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// virtualenv is the absolute path of the program's virtualenv ("" if none is configured).
func virtualenv(info *pulumirpc.ProgramInfo) string {
	if info == nil || info.GetOptions() == nil {
		return ""
	}
	value, ok := info.GetOptions().GetFields()["virtualenv"]
	if !ok || value.GetStringValue() == "" {
		return ""
	}
	venv := value.GetStringValue()
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(info.GetRootDirectory(), venv)
	}
	return filepath.Clean(venv)
}

// python is the interpreter to run: the virtualenv's, else PULUMI_PYTHON_CMD or python3.
func python(venv string) (string, error) {
	if venv != "" {
		candidate := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(candidate); err != nil {
			return "", fmt.Errorf(
				"the virtualenv %s of Pulumi.yaml (runtime.options.virtualenv) has no bin/python: "+
					"run `pulumi install` (or `make` in the project) to create it", venv)
		}
		return candidate, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, nil
	}
	return "python3", nil
}

// environ is the process environment with the virtualenv activated.
func environ(venv string, extra ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if venv != "" && (strings.HasPrefix(kv, "PYTHONHOME=") || strings.HasPrefix(kv, "PATH=")) {
			continue
		}
		env = append(env, kv)
	}
	if venv != "" {
		env = append(env,
			"VIRTUAL_ENV="+venv,
			"PULUMI_RUNTIME_VIRTUALENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return append(env, extra...)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	venv := virtualenv(info)
	interpreter, err := python(venv)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	launcher := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	program := req.GetProgram()
	root := req.GetPwd()
	if info != nil {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
		root = info.GetRootDirectory()
	}
	args := []string{
		"-u", launcher,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", root,
		program,
	}
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, interpreter, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = environ(venv, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start %s: %v", interpreter, err)}, nil
	}
	h.track(cmd)
	err = cmd.Wait()
	h.untrack(cmd)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
}

func (h *host) track(cmd *exec.Cmd) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = append(h.running, cmd)
}

func (h *host) untrack(cmd *exec.Cmd) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.running {
		if c == cmd {
			h.running = append(h.running[:i], h.running[i+1:]...)
			return
		}
	}
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cmd := range h.running {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(os.Interrupt)
		}
	}
	return &emptypb.Empty{}, nil
}

// pluginFile is the part of a package's pulumi-plugin.json the engine cares about.
type pluginFile struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// requiredPlugins lists the resource plugins that the virtualenv's packages declare.
func requiredPlugins(info *pulumirpc.ProgramInfo) ([]*pulumirpc.PackageDependency, error) {
	venv := virtualenv(info)
	if venv == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "*", "pulumi-plugin.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	deps := []*pulumirpc.PackageDependency{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var plugin pluginFile
		if err := json.Unmarshal(data, &plugin); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !plugin.Resource {
			continue
		}
		name := plugin.Name
		if name == "" {
			name = strings.TrimPrefix(filepath.Base(filepath.Dir(file)), "pulumi_")
		}
		deps = append(deps, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: plugin.Version, Server: plugin.Server,
		})
	}
	return deps, nil
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPlugins(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPlugins(req.GetInfo())
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// streamWriter sends what a command prints to `pulumi install`'s output.
type streamWriter struct {
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	resp := &pulumirpc.InstallDependenciesResponse{Stdout: data}
	if w.stderr {
		resp = &pulumirpc.InstallDependenciesResponse{Stderr: data}
	}
	if err := w.send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	info := req.GetInfo()
	root := req.GetDirectory()
	if info != nil && info.GetRootDirectory() != "" {
		root = info.GetRootDirectory()
	}
	venv := virtualenv(info)
	if venv == "" {
		return errors.New("Pulumi.yaml sets no runtime.options.virtualenv: " +
			"this host installs into a virtualenv only")
	}
	stdout := streamWriter{send: server.Send}
	stderr := streamWriter{send: server.Send, stderr: true}
	run := func(name string, args ...string) error {
		fmt.Fprintf(stdout, "$ %s %s\n", name, strings.Join(args, " "))
		cmd := exec.CommandContext(server.Context(), name, args...)
		cmd.Dir = root
		cmd.Env = environ("")
		cmd.Stdout = stdout
		cmd.Stderr = stderr
		return cmd.Run()
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
		base := os.Getenv("PULUMI_PYTHON_CMD")
		if base == "" {
			base = "python3"
		}
		if err := run(base, "-m", "venv", venv); err != nil {
			return fmt.Errorf("creating the virtualenv %s: %w", venv, err)
		}
	}
	requirements := filepath.Join(root, "requirements.txt")
	if _, err := os.Stat(requirements); err != nil {
		return fmt.Errorf("%s is missing: `pulumi install` installs what it lists", requirements)
	}
	pip := filepath.Join(venv, "bin", "python")
	if err := run(pip, "-m", "pip", "install", "--disable-pip-version-check", "-r", requirements); err != nil {
		return fmt.Errorf("pip install -r %s: %w", requirements, err)
	}
	return nil
}
