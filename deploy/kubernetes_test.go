package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/teamsync/teamsync/sync/config"
)

// kustomization is the part of a kustomization.yaml these manifests use,
// decoded strictly.
type kustomization struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Labels     []struct {
		Pairs            map[string]string `yaml:"pairs"`
		IncludeSelectors bool              `yaml:"includeSelectors"`
	} `yaml:"labels"`
	Resources []string `yaml:"resources"`
	Patches   []struct {
		Path string `yaml:"path"`
	} `yaml:"patches"`
}

// objects are the Kubernetes objects of one deployment, decoded strictly
// into the API types: an unknown or misspelt field is an error.
type objects struct {
	deployments     []*appsv1.Deployment
	cronJobs        []*batchv1.CronJob
	configMaps      []*corev1.ConfigMap
	secrets         []*corev1.Secret
	services        []*corev1.Service
	serviceAccounts []*corev1.ServiceAccount
}

// add decodes one YAML document by its kind.
func (o *objects) add(doc []byte) error {
	var meta struct{ APIVersion, Kind string }
	if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	var err error
	switch meta.APIVersion + " " + meta.Kind {
	case "apps/v1 Deployment":
		var v appsv1.Deployment
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.deployments = append(o.deployments, &v)
	case "batch/v1 CronJob":
		var v batchv1.CronJob
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.cronJobs = append(o.cronJobs, &v)
	case "v1 ConfigMap":
		var v corev1.ConfigMap
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.configMaps = append(o.configMaps, &v)
	case "v1 Secret":
		var v corev1.Secret
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.secrets = append(o.secrets, &v)
	case "v1 Service":
		var v corev1.Service
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.services = append(o.services, &v)
	case "v1 ServiceAccount":
		var v corev1.ServiceAccount
		err = sigsyaml.UnmarshalStrict(doc, &v)
		o.serviceAccounts = append(o.serviceAccounts, &v)
	default:
		return fmt.Errorf("unexpected %s %s", meta.APIVersion, meta.Kind)
	}
	return err
}

// addStream decodes a stream of YAML documents.
func (o *objects) addStream(t *testing.T, where string, stream []byte) {
	t.Helper()
	for i, doc := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		if err := o.add(doc); err != nil {
			t.Errorf("%s, document %d: %v", where, i+1, err)
		}
	}
}

// load reads the kustomization in dir and decodes the manifests its
// resources name, recursively, as written (patches are kustomize's to
// apply; each patch file is decoded on its own).
func load(t *testing.T, dir string) *objects {
	t.Helper()
	o := &objects{}
	var walk func(dir string)
	walk = func(dir string) {
		raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		var k kustomization
		if err := dec.Decode(&k); err != nil {
			t.Fatalf("%s/kustomization.yaml: %v", dir, err)
		}
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("%s/kustomization.yaml: %s %s", dir, k.APIVersion, k.Kind)
		}
		for _, r := range k.Resources {
			p := filepath.Join(dir, r)
			if info, err := os.Stat(p); err == nil && info.IsDir() {
				walk(p)
				continue
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			o.addStream(t, p, raw)
		}
		for _, p := range k.Patches {
			raw, err := os.ReadFile(filepath.Join(dir, p.Path))
			if err != nil {
				t.Fatal(err)
			}
			(&objects{}).addStream(t, filepath.Join(dir, p.Path), raw)
		}
	}
	walk(dir)
	return o
}

// render runs `kubectl kustomize dir` where kubectl is installed and
// decodes what it renders; without kubectl it returns nil and says so.
func render(t *testing.T, dir string) *objects {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Logf("kubectl is not installed: %s is checked as written, not as kustomize renders it", dir)
		return nil
	}
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	o := &objects{}
	o.addStream(t, "kubectl kustomize "+dir, out)
	return o
}

// mapping parses the mapping the ConfigMap ships with teamsync's own
// parser.
func (o *objects) mapping(t *testing.T) *config.Mapping {
	t.Helper()
	if len(o.configMaps) != 1 {
		t.Fatalf("%d ConfigMaps, want the mapping's", len(o.configMaps))
	}
	m, err := config.Parse("configmap:mapping.yaml", []byte(o.configMaps[0].Data["mapping.yaml"]))
	if err != nil {
		t.Fatalf("the ConfigMap's mapping does not validate:\n%v", err)
	}
	return m
}

// secretFiles lists the files a mapping names: tokens and key files.
func secretFiles(m *config.Mapping) []string {
	files := []string{m.Buildkite.Token.File}
	if m.Okta != nil {
		files = append(files, m.Okta.Token.File, m.Okta.PrivateKeyFile)
	}
	if m.Google != nil {
		files = append(files, m.Google.CredentialsFile)
	}
	return slices.DeleteFunc(files, func(f string) bool { return f == "" })
}

// checkPod checks what every teamsync pod must do with its secrets: no
// secret in an environment variable (it would not change until the pod
// restarts); each Secret mounted read-only as a directory (a subPath mount
// never sees an update) with mode 0400, which teamsync accepts; and every
// file the mapping or a *_FILE variable names lies in such a mount, under a
// key the example Secret has.
func checkPod(t *testing.T, what string, spec corev1.PodSpec, m *config.Mapping, secretKeys []string) {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(spec.Containers))
	}
	c := spec.Containers[0]
	secretVolumes := map[string]*corev1.SecretVolumeSource{}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			secretVolumes[v.Name] = v.Secret
			if v.Secret.DefaultMode == nil || *v.Secret.DefaultMode != 0o400 {
				t.Errorf("%s: Secret volume %q: defaultMode %v, want 0400", what, v.Name, v.Secret.DefaultMode)
			}
		}
	}
	if len(secretVolumes) == 0 {
		t.Errorf("%s mounts no Secret", what)
	}
	mounts := map[string]bool{} // directories holding Secret files
	for _, vm := range c.VolumeMounts {
		if secretVolumes[vm.Name] == nil {
			continue
		}
		if vm.SubPath != "" || !vm.ReadOnly {
			t.Errorf("%s: Secret mount %q: subPath %q, readOnly %v; want a read-only directory mount", what, vm.Name, vm.SubPath, vm.ReadOnly)
		}
		mounts[vm.MountPath] = true
	}
	files := secretFiles(m)
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			t.Errorf("%s: environment variable %s comes from a Secret; mount it as a file", what, e.Name)
		}
		if strings.HasSuffix(e.Name, "_FILE") {
			files = append(files, e.Value)
		}
	}
	if len(files) == 0 {
		t.Errorf("%s names no secret file", what)
	}
	for _, f := range files {
		if !mounts[path.Dir(f)] {
			t.Errorf("%s: %s is not in a mounted Secret (mounts: %v)", what, f, mounts)
		}
		if !slices.Contains(secretKeys, path.Base(f)) {
			t.Errorf("%s: %s is not a key of the example Secret (%v)", what, path.Base(f), secretKeys)
		}
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.FSGroup == nil {
		t.Errorf("%s: the pod must run as non-root with an fsGroup (for the Secret files' group)", what)
	}
}

// exampleSecretKeys are the keys of base/secret.example.yaml, which no
// kustomization applies.
func exampleSecretKeys(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("kubernetes/base/secret.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := &objects{}
	o.addStream(t, "base/secret.example.yaml", raw)
	if len(o.secrets) != 1 {
		t.Fatalf("%d Secrets in the example", len(o.secrets))
	}
	var keys []string
	for k := range o.secrets[0].StringData {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestKubernetesDaemon: the daemon's manifests decode as the Kubernetes
// API types, as written and as kustomize renders them, and wire every
// credential as a mounted file the mapping names, Google's key included.
func TestKubernetesDaemon(t *testing.T) {
	keys := exampleSecretKeys(t)
	for _, o := range []*objects{load(t, "kubernetes/daemon"), render(t, "kubernetes/daemon")} {
		if o == nil {
			continue
		}
		if len(o.deployments) != 1 || len(o.services) != 1 || len(o.serviceAccounts) != 1 || len(o.secrets) != 0 {
			t.Fatalf("daemon: %d Deployments, %d Services, %d ServiceAccounts, %d Secrets; want 1, 1, 1 and none (the Secret is made out of band)",
				len(o.deployments), len(o.services), len(o.serviceAccounts), len(o.secrets))
		}
		d := o.deployments[0]
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("daemon: replicas %v, strategy %q; want exactly one, Recreate", d.Spec.Replicas, d.Spec.Strategy.Type)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		if len(args) == 0 || args[0] != "serve" || !slices.Contains(args, "--config=/etc/teamsync/mapping.yaml") {
			t.Errorf("daemon: args %q", args)
		}
		m := o.mapping(t)
		if m.Google == nil || m.Google.CredentialsFile == "" {
			t.Error("daemon: the mapping does not wire Google's key file")
		}
		checkPod(t, "daemon", d.Spec.Template.Spec, m, keys)
		if env := d.Spec.Template.Spec.Containers[0].Env; !slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == "TEAMSYNC_TRIGGER_TOKEN_FILE" }) ||
			!slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == "TEAMSYNC_OKTA_HOOK_SECRET_FILE" }) {
			t.Errorf("daemon: the endpoint secrets are not wired as files: %+v", env)
		}
	}
}

// TestKubernetesCronJob: the CronJob alternative wires the same files.
func TestKubernetesCronJob(t *testing.T) {
	keys := exampleSecretKeys(t)
	for _, o := range []*objects{load(t, "kubernetes/cronjob"), render(t, "kubernetes/cronjob")} {
		if o == nil {
			continue
		}
		if len(o.cronJobs) != 1 {
			t.Fatalf("cronjob: %d CronJobs", len(o.cronJobs))
		}
		cj := o.cronJobs[0]
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Errorf("cronjob: concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
		}
		spec := cj.Spec.JobTemplate.Spec.Template.Spec
		if args := spec.Containers[0].Args; len(args) == 0 || args[0] != "apply" {
			t.Errorf("cronjob: args %q", args)
		}
		checkPod(t, "cronjob", spec, o.mapping(t), keys)
	}
}

// TestKubernetesWorkloadIdentity: the GKE overlay has no key file: the
// service account is bound to a Google service account, the pod gets the
// token Workload Identity needs, and the mapping impersonates the account
// the binding names.
func TestKubernetesWorkloadIdentity(t *testing.T) {
	load(t, "kubernetes/gke-workload-identity") // every file decodes
	o := render(t, "kubernetes/gke-workload-identity")
	if o == nil {
		return // said why in render
	}
	if len(o.serviceAccounts) != 1 || len(o.deployments) != 1 {
		t.Fatalf("%d ServiceAccounts, %d Deployments", len(o.serviceAccounts), len(o.deployments))
	}
	gsa := o.serviceAccounts[0].Annotations["iam.gke.io/gcp-service-account"]
	if gsa == "" {
		t.Error("the ServiceAccount is not bound to a Google service account")
	}
	spec := o.deployments[0].Spec.Template.Spec
	if spec.AutomountServiceAccountToken == nil || !*spec.AutomountServiceAccountToken {
		t.Error("the pod does not mount the token Workload Identity authenticates it with")
	}
	m := o.mapping(t)
	if m.Google == nil || m.Google.CredentialsFile != "" || m.Google.ImpersonateServiceAccount != gsa || m.Google.Subject == "" {
		t.Errorf("the mapping's google section: %+v; want no key file, impersonating %s, with a subject", m.Google, gsa)
	}
	keys := slices.DeleteFunc(exampleSecretKeys(t), func(k string) bool { return k == "google-sa.json" })
	checkPod(t, "gke-workload-identity", spec, m, keys)
}
