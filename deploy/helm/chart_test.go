// Package helm tests the biogate chart: it renders the chart with Helm's
// Go module and decodes every object strictly (unknown fields fail) into
// the k8s.io/api types. No cluster is needed. Its own module keeps Helm's
// dependencies out of the main go.mod.
package helm

import (
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// required are the values an install must give.
func required() map[string]any {
	return map[string]any{
		"image": map[string]any{"repository": "registry.example.kz/biogate/biogated"},
		"idec":  map[string]any{"url": "https://idec.example.kz:8443"},
		"secrets": map[string]any{
			"postgres": map[string]any{"name": "biogate-pg-app", "key": "uri"},
			"apiKeys":  map[string]any{"name": "biogate-api-keys"},
			"keys":     map[string]any{"name": "biogate-keys"},
			"idecTLS":  map[string]any{"name": "biogate-idec-tls"},
			"tls":      map[string]any{"name": "biogate-tls"},
		},
		"models":  map[string]any{"volume": map[string]any{"persistentVolumeClaim": map[string]any{"claimName": "biogate-models", "readOnly": true}}},
		"ingress": map[string]any{"host": "relay.example.kz", "tlsSecretName": "relay-tls"},
	}
}

// render renders the chart with vals over its defaults: the manifests by
// template name, or the error.
func render(t *testing.T, vals map[string]any) (map[string]string, error) {
	t.Helper()
	ch, err := loader.Load("biogate")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "relay", Namespace: "biogate", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for name, s := range out {
		if strings.TrimSpace(s) != "" && strings.HasSuffix(name, ".yaml") {
			m[strings.TrimPrefix(name, "biogate/templates/")] = s
		}
	}
	return m, nil
}

func mustRender(t *testing.T, vals map[string]any) map[string]string {
	t.Helper()
	m, err := render(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return m
}

// decode decodes the manifest of template name strictly into v.
func decode(t *testing.T, m map[string]string, name string, v any) {
	t.Helper()
	s, ok := m[name]
	if !ok {
		t.Fatalf("%s not rendered; rendered: %v", name, keys(m))
	}
	if err := yaml.UnmarshalStrict([]byte(s), v); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, s)
	}
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func set(vals map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	cur := vals
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
	return vals
}

func TestDefaultsDecodeStrictly(t *testing.T) {
	m := mustRender(t, required())
	want := []string{"deployment.yaml", "hpa.yaml", "ingress.yaml", "networkpolicy.yaml", "pdb.yaml", "service.yaml"}
	if got := keys(m); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	var d appsv1.Deployment
	decode(t, m, "deployment.yaml", &d)
	var s corev1.Service
	decode(t, m, "service.yaml", &s)
	var i networkingv1.Ingress
	decode(t, m, "ingress.yaml", &i)
	var p policyv1.PodDisruptionBudget
	decode(t, m, "pdb.yaml", &p)
	var h autoscalingv2.HorizontalPodAutoscaler
	decode(t, m, "hpa.yaml", &h)
	var np networkingv1.NetworkPolicy
	decode(t, m, "networkpolicy.yaml", &np)
	if len(np.Spec.Ingress) != 2 || np.Spec.Ingress[0].Ports[0].Port.String() != "https" || np.Spec.Ingress[1].Ports[0].Port.String() != "metrics" ||
		np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "ingress-nginx" {
		t.Errorf("networkpolicy %+v", np.Spec)
	}
	if s.Spec.Selector["app.kubernetes.io/instance"] != "relay" || d.Spec.Selector.MatchLabels["app.kubernetes.io/instance"] != "relay" {
		t.Errorf("selectors: service %v, deployment %v", s.Spec.Selector, d.Spec.Selector.MatchLabels)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("pod template lacks selector label %s=%s", k, v)
		}
	}
}

func TestDeployment(t *testing.T) {
	var d appsv1.Deployment
	decode(t, mustRender(t, required()), "deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != 150 {
		t.Errorf("terminationGracePeriodSeconds %v, want 150", pod.TerminationGracePeriodSeconds)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod securityContext: runAsNonRoot not set")
	}
	if d.Spec.Replicas != nil {
		t.Errorf("replicas %d set with the autoscaler on", *d.Spec.Replicas)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
		len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 {
		t.Errorf("container securityContext %+v", sc)
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"startup", c.StartupProbe, "/healthz"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s probe missing", pr.name)
			continue
		}
		if g := pr.probe.HTTPGet; g.Path != pr.path || g.Port.String() != "https" || g.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("%s probe %s %s %s, want %s on https", pr.name, g.Scheme, g.Path, g.Port.String(), pr.path)
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["BIOGATED_EVIDENCE"]; e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
		e.ValueFrom.SecretKeyRef.Name != "biogate-pg-app" || e.ValueFrom.SecretKeyRef.Key != "uri" || e.Value != "" {
		t.Errorf("BIOGATED_EVIDENCE %+v, want the DSN from secret biogate-pg-app key uri", e)
	}
	for name, want := range map[string]string{
		"BIOGATED_IDEC": "https://idec.example.kz:8443", "BIOGATED_API_KEYS": "/etc/biogate/api-keys/api-keys",
		"BIOGATED_EVIDENCE_KEY": "/etc/biogate/keys/evidence.key", "BIOGATED_SUBJECT_KEY": "/etc/biogate/keys/subject.key",
		"BIOGATED_TLS_CERT": "/etc/biogate/tls/tls.crt", "BIOGATED_MODELS": "/var/lib/biogate-models",
		// Draining within the pod's grace (150 s), with 15 s for the abort
		// of the sessions left and a margin.
		"BIOGATED_DRAIN_GRACE": "120s",
	} {
		if env[name].Value != want {
			t.Errorf("%s = %q, want %q", name, env[name].Value, want)
		}
	}
	secrets := map[string]string{}
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			secrets[v.Name] = v.Secret.SecretName
		}
	}
	for vol, name := range map[string]string{"api-keys": "biogate-api-keys", "keys": "biogate-keys", "idec-tls": "biogate-idec-tls", "tls": "biogate-tls"} {
		if secrets[vol] != name {
			t.Errorf("volume %s from secret %q, want %q", vol, secrets[vol], name)
		}
	}
	for _, vm := range c.VolumeMounts {
		if vm.Name != "data" && vm.Name != "tmp" && !vm.ReadOnly {
			t.Errorf("volume %s mounted writable", vm.Name)
		}
	}
}

func TestIngressWebSocketTimeouts(t *testing.T) {
	var i networkingv1.Ingress
	decode(t, mustRender(t, set(required(), "ingress.annotations", map[string]any{"example.com/extra": "1"})), "ingress.yaml", &i)
	for k, want := range map[string]string{
		"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
		"nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
		"nginx.ingress.kubernetes.io/backend-protocol":   "HTTPS",
		"example.com/extra":                              "1",
	} {
		if i.Annotations[k] != want {
			t.Errorf("annotation %s = %q, want %q", k, i.Annotations[k], want)
		}
	}
	if len(i.Spec.Rules) != 1 || i.Spec.Rules[0].Host != "relay.example.kz" || len(i.Spec.TLS) != 1 || i.Spec.TLS[0].SecretName != "relay-tls" {
		t.Errorf("ingress rules %+v tls %+v", i.Spec.Rules, i.Spec.TLS)
	}
	var o networkingv1.Ingress
	decode(t, mustRender(t, set(required(), "ingress.timeoutSeconds", 600)), "ingress.yaml", &o)
	if o.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] != "600" {
		t.Errorf("timeoutSeconds override: %v", o.Annotations)
	}
	if m := mustRender(t, set(required(), "ingress.enabled", false)); m["ingress.yaml"] != "" {
		t.Errorf("ingress rendered while disabled")
	}
}

func TestPDB(t *testing.T) {
	var p policyv1.PodDisruptionBudget
	decode(t, mustRender(t, required()), "pdb.yaml", &p)
	if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() != 2 || p.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != "biogate" {
		t.Errorf("pdb %+v", p.Spec)
	}
}

func TestHPA(t *testing.T) {
	var h autoscalingv2.HorizontalPodAutoscaler
	decode(t, mustRender(t, required()), "hpa.yaml", &h)
	if len(h.Spec.Metrics) != 1 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU ||
		*h.Spec.Metrics[0].Resource.Target.AverageUtilization != 70 {
		t.Errorf("default metrics %+v, want CPU at 70%%", h.Spec.Metrics)
	}
	if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != "relay-biogate" || h.Spec.MaxReplicas != 12 {
		t.Errorf("scale target %+v max %d", h.Spec.ScaleTargetRef, h.Spec.MaxReplicas)
	}
	var s autoscalingv2.HorizontalPodAutoscaler
	decode(t, mustRender(t, set(required(), "autoscaling.sessionsMetric.enabled", true)), "hpa.yaml", &s)
	if len(s.Spec.Metrics) != 2 || s.Spec.Metrics[1].Type != autoscalingv2.PodsMetricSourceType ||
		s.Spec.Metrics[1].Pods.Metric.Name != "biogate_gateway_sessions_active" || s.Spec.Metrics[1].Pods.Target.AverageValue.String() != "12" {
		t.Errorf("sessions metric %+v", s.Spec.Metrics)
	}
	m := mustRender(t, set(set(required(), "autoscaling.enabled", false), "replicaCount", 5))
	if m["hpa.yaml"] != "" {
		t.Errorf("hpa rendered while disabled")
	}
	var d appsv1.Deployment
	decode(t, m, "deployment.yaml", &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 5 {
		t.Errorf("replicas %v, want 5 without the autoscaler", d.Spec.Replicas)
	}
}

func TestServiceMonitorOptional(t *testing.T) {
	m := mustRender(t, set(required(), "metrics.serviceMonitor.enabled", true))
	var sm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			Endpoints []struct {
				Port     string `json:"port"`
				Path     string `json:"path"`
				Interval string `json:"interval"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	decode(t, m, "servicemonitor.yaml", &sm)
	if sm.Kind != "ServiceMonitor" || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("servicemonitor %+v", sm)
	}
}

func TestRequiredValuesFailClearly(t *testing.T) {
	if _, err := render(t, map[string]any{}); err == nil {
		t.Fatal("rendered with no values")
	}
	for path, msg := range map[string]string{
		"image.repository":      "image.repository is required",
		"idec.url":              "idec.url is required",
		"secrets.postgres.name": "secrets.postgres.name is required",
		"secrets.apiKeys.name":  "secrets.apiKeys.name is required",
		"secrets.keys.name":     "secrets.keys.name is required",
		"secrets.idecTLS.name":  "secrets.idecTLS.name is required",
		"secrets.tls.name":      "secrets.tls.name is required",
		"models.volume":         "models.volume is required",
		"ingress.host":          "ingress.host is required",
	} {
		var empty any = ""
		if path == "models.volume" {
			empty = map[string]any{}
		}
		_, err := render(t, set(required(), path, empty))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("without %s: %v, want an error saying %q", path, err, msg)
		}
	}
}

// TestExampleValues renders the CloudNativePG example and decodes every
// object it makes.
func TestExampleValues(t *testing.T) {
	vals, err := chartutil.ReadValuesFile("examples/values-cnpg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := mustRender(t, vals.AsMap())
	var d appsv1.Deployment
	decode(t, m, "deployment.yaml", &d)
	var s corev1.Service
	decode(t, m, "service.yaml", &s)
	var i networkingv1.Ingress
	decode(t, m, "ingress.yaml", &i)
	var np networkingv1.NetworkPolicy
	decode(t, m, "networkpolicy.yaml", &np)
	var p policyv1.PodDisruptionBudget
	decode(t, m, "pdb.yaml", &p)
	var h autoscalingv2.HorizontalPodAutoscaler
	decode(t, m, "hpa.yaml", &h)
	if _, ok := m["servicemonitor.yaml"]; !ok {
		t.Error("no ServiceMonitor")
	}
	var dsn *corev1.SecretKeySelector
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "BIOGATED_EVIDENCE" && e.ValueFrom != nil {
			dsn = e.ValueFrom.SecretKeyRef
		}
	}
	if dsn == nil || dsn.Name != "biogate-pg-app" || dsn.Key != "uri" {
		t.Errorf("DSN from %+v, want CloudNativePG's secret biogate-pg-app key uri", dsn)
	}
	if len(h.Spec.Metrics) != 2 {
		t.Errorf("hpa metrics %+v", h.Spec.Metrics)
	}
}
