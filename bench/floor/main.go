// The floor for `npm run bench -- sync`: the fastest client of the sync job we can write, to
// measure `sync` against. Standard library only (no client-go: its start-up alone is more
// than this program's whole run). It does what a sync does without service accounts, nothing
// more: list all namespaces (selected here by a label, as sync's --namespace-selector does on
// its side), list the secret by name across namespaces, then one write per namespace that
// needs one (POST when missing, PUT with the listed resourceVersion when forced or stale),
// CONCURRENCY in flight over one HTTP/2 connection with the kubeconfig's client certificate.
// It asks AWS nothing: the token is a constant (sync's one token call is ~ms on the emulator).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
)

type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Clusters       []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server string `json:"server"`
			CAData string `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			CertData string `json:"client-certificate-data"`
			KeyData  string `json:"client-key-data"`
		} `json:"user"`
	} `json:"users"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
}

type meta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	ResourceVersion string            `json:"resourceVersion"`
	Labels          map[string]string `json:"labels"`
}

type list struct {
	Items []struct {
		Metadata meta              `json:"metadata"`
		Data     map[string]string `json:"data"`
	} `json:"items"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "floor: "+format+"\n", args...)
	os.Exit(1)
}

// client reads the JSON kubeconfig the testenv writes (current context, client certificate).
func client(path string) (*http.Client, string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	var kc kubeconfig
	if err := json.Unmarshal(raw, &kc); err != nil {
		fail("kubeconfig is not JSON: %v", err)
	}
	var clusterName, userName string
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	tlsConfig := &tls.Config{RootCAs: x509.NewCertPool()}
	var server string
	for _, c := range kc.Clusters {
		if c.Name == clusterName {
			server = c.Cluster.Server
			ca, _ := base64.StdEncoding.DecodeString(c.Cluster.CAData)
			tlsConfig.RootCAs.AppendCertsFromPEM(ca)
		}
	}
	for _, u := range kc.Users {
		if u.Name == userName {
			cert, _ := base64.StdEncoding.DecodeString(u.User.CertData)
			key, _ := base64.StdEncoding.DecodeString(u.User.KeyData)
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				fail("client certificate: %v", err)
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		}
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig, ForceAttemptHTTP2: true}
	return &http.Client{Transport: transport}, server
}

type api struct {
	http      *http.Client
	server    string
	userAgent string
}

func (a api) do(method, path string, body []byte, into any) int {
	req, err := http.NewRequest(method, a.server+path, bytes.NewReader(body))
	if err != nil {
		fail("%v", err)
	}
	req.Header.Set("User-Agent", a.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		fail("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		fail("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			fail("%s %s: %v", method, path, err)
		}
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode
}

func main() {
	kubeconfigPath := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "JSON kubeconfig with a client certificate")
	selector := flag.String("selector", "", "namespace label key=value")
	secretName := flag.String("secret", "floor-token", "the secret's name")
	force := flag.Bool("force", false, "rewrite every secret")
	concurrency := flag.Int("concurrency", 16, "writes in flight")
	flag.Parse()
	key, value, _ := strings.Cut(*selector, "=")

	httpClient, server := client(*kubeconfigPath)
	a := api{http: httpClient, server: server, userAgent: "ecr-bench-floor/1"}

	// The two lists at once, as sync's gather does.
	var namespaces, secrets list
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.do("GET", "/api/v1/namespaces", nil, &namespaces) }()
	go func() {
		defer wg.Done()
		a.do("GET", "/api/v1/secrets?fieldSelector="+url.QueryEscape("metadata.name="+*secretName), nil, &secrets)
	}()
	wg.Wait()

	auth := base64.StdEncoding.EncodeToString([]byte("AWS:bench-floor-token"))
	config := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"public.ecr.aws":{"username":"AWS","password":"bench-floor-token","auth":"` + auth + `"}}}`))
	existing := make(map[string]string, len(secrets.Items))
	for _, s := range secrets.Items {
		if !*force && s.Data[".dockerconfigjson"] == config {
			existing[s.Metadata.Namespace] = "" // fresh: nothing to do
		} else {
			existing[s.Metadata.Namespace] = s.Metadata.ResourceVersion
		}
	}

	type write struct{ method, path, namespace, resourceVersion string }
	writes := make(chan write)
	var done sync.WaitGroup
	counts := map[string]int{}
	var mu sync.Mutex
	for range *concurrency {
		done.Add(1)
		go func() {
			defer done.Done()
			for w := range writes {
				rv := ""
				if w.resourceVersion != "" {
					rv = `,"resourceVersion":"` + w.resourceVersion + `"`
				}
				body := []byte(`{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/dockerconfigjson","metadata":{"name":"` + *secretName +
					`","namespace":"` + w.namespace + `","labels":{"app.kubernetes.io/managed-by":"ecr-bench-floor"}` + rv +
					`},"data":{".dockerconfigjson":"` + config + `"}}`)
				a.do(w.method, w.path, body, nil)
				mu.Lock()
				counts[w.method]++
				mu.Unlock()
			}
		}()
	}
	for _, ns := range namespaces.Items {
		if *selector != "" && ns.Metadata.Labels[key] != value {
			continue
		}
		name := ns.Metadata.Name
		rv, found := existing[name]
		switch {
		case !found:
			writes <- write{"POST", "/api/v1/namespaces/" + name + "/secrets", name, ""}
		case rv != "":
			writes <- write{"PUT", "/api/v1/namespaces/" + name + "/secrets/" + *secretName, name, rv}
		}
	}
	close(writes)
	done.Wait()
	fmt.Printf("floor: created %d, updated %d\n", counts["POST"], counts["PUT"])
}
