package http

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// clientCert makes a self-signed client certificate and writes it and its
// key as PEM files.
func clientCert(t *testing.T) (cert *x509.Certificate, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "perfplan test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}

func TestClientCertificate(t *testing.T) {
	t.Parallel()
	cert, certFile, keyFile := clientCert(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			w.WriteHeader(nethttp.StatusForbidden)
		}
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := caFile(t, srv)
	for _, tc := range []map[string]any{
		{"protocol": ProtoHTTP1}, // fasthttp
		{},                       // net/http, HTTP/2
		{"protocol": ProtoH2},    // the h2 client
	} {
		with := map[string]any{"base_url": srv.URL, "ca_file": ca, "client_cert": certFile, "client_key": keyFile}
		without := map[string]any{"base_url": srv.URL, "ca_file": ca, "probe": false}
		for k, v := range tc {
			with[k], without[k] = v, v
		}
		tg := mustOpen(t, with, op("get", nil))
		if err := do(worker(t, tg, 0), 0, 1, nil); err != nil {
			t.Errorf("%v: with the client certificate: %v", tc, err)
		}
		tg = mustOpen(t, without, op("get", nil))
		if err := do(worker(t, tg, 0), 0, 1, nil); classOf(err) != ClassTLS {
			t.Errorf("%v: without a client certificate: %v, want a TLS failure", tc, err)
		}
	}
}
