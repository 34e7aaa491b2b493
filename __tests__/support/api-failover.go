// How Terraform's Nomad and Consul providers reach a cluster through its API name: Go's
// net/http with a net.Dialer (Nomad's api client: go-cleanhttp's pooled transport, 30 s dial
// timeout) and TLS verified against the cluster CA and the name. The name resolves, through a
// DNS answer this program serves itself, to the addresses it is given, in order; one HTTPS
// server listens on 127.0.0.1 with a certificate for the names it is given. Prints one JSON
// line: the addresses tried in turn, and which one answered, or the error.
//
// Input (stdin, JSON): {"name": "nomad.example.com", "addresses": ["127.0.0.2", "127.0.0.1"],
// "certificateNames": ["nomad.example.com"]}. Standard library only.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

type input struct {
	Name             string   `json:"name"`
	Addresses        []string `json:"addresses"`
	CertificateNames []string `json:"certificateNames"`
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// issue makes a CA and a server certificate for names, signed by it.
func issue(names []string) (*x509.CertPool, tls.Certificate) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDer, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(err)
	caCert, err := x509.ParseCertificate(caDer)
	must(err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), DNSNames: names, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	must(err)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// answer serves one DNS exchange over a stream (2-byte length framing): A queries get one
// record per address, in order; others none.
func answer(conn net.Conn, addresses []string) {
	defer conn.Close()
	var size uint16
	if binary.Read(conn, binary.BigEndian, &size) != nil {
		return
	}
	query := make([]byte, size)
	if _, err := io.ReadFull(conn, query); err != nil {
		return
	}
	end := 12
	for query[end] != 0 {
		end += int(query[end]) + 1
	}
	question := query[12 : end+5]
	qtype := binary.BigEndian.Uint16(query[end+1 : end+3])
	var records []byte
	count := 0
	if qtype == 1 {
		for _, a := range addresses {
			ip := net.ParseIP(a).To4()
			records = append(records, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
			records = append(records, ip...)
			count++
		}
	}
	header := []byte{query[0], query[1], 0x81, 0x80, 0, 1, byte(count >> 8), byte(count), 0, 0, 0, 0}
	msg := append(append(header, question...), records...)
	out := make([]byte, 2, 2+len(msg))
	binary.BigEndian.PutUint16(out, uint16(len(msg)))
	conn.Write(append(out, msg...))
}

func main() {
	var in input
	must(json.NewDecoder(os.Stdin).Decode(&in))
	pool, cert := issue(in.CertificateNames)

	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	must(err)
	port := listener.Addr().(*net.TCPAddr).Port
	go http.Serve(listener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "\"127.0.0.1:4647\"")
	}))

	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go answer(server, in.Addresses)
		return client, nil
	}}
	var tried []string
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver,
		Control: func(network, address string, c syscall.RawConn) error {
			tried = append(tried, strings.Split(address, ":")[0])
			return nil
		}}
	var answered string
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, address)
			if err == nil {
				answered = conn.RemoteAddr().(*net.TCPAddr).IP.String()
			}
			return conn, err
		},
		// The providers' TLS: the cluster CA, no server name of their own, verification on.
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	res, err := client.Get(fmt.Sprintf("https://%s:%d/v1/status/leader", in.Name, port))
	result := map[string]interface{}{"tried": tried}
	if err != nil {
		result["error"] = err.Error()
	} else {
		res.Body.Close()
		result["answeredBy"] = answered
		result["status"] = res.Status
	}
	must(json.NewEncoder(os.Stdout).Encode(result))
}
