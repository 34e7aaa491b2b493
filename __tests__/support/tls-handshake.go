// Mutual TLS handshakes with Go's crypto/tls, the TLS stack of the Nomad and Consul agents:
// for each pair on stdin, a server and a client, each with its ca.pem (one or more PEM
// certificates, loaded with x509.CertPool.AppendCertsFromPEM as both agents' tlsutil does)
// and its certificate, whether the handshake completes with both sides verified (the server
// requires a client certificate, the client verifies the server name). Prints a JSON list.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
)

type side struct {
	CA   string `json:"ca"`
	Cert string `json:"cert"`
}

type pair struct {
	Server side `json:"server"`
	Client side `json:"client"`
}

type input struct {
	Key        string `json:"key"`
	ServerName string `json:"serverName"`
	Pairs      []pair `json:"pairs"`
}

func pool(pem string) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM([]byte(pem)) {
		panic("no certificate in CA PEM")
	}
	return p
}

func handshake(in input, p pair) bool {
	serverCert, err := tls.X509KeyPair([]byte(p.Server.Cert), []byte(in.Key))
	if err != nil {
		panic(err)
	}
	clientCert, err := tls.X509KeyPair([]byte(p.Client.Cert), []byte(in.Key))
	if err != nil {
		panic(err)
	}
	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    pool(p.Server.CA),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		panic(err)
	}
	defer listener.Close()
	accepted := make(chan bool, 1)
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			accepted <- false
			return
		}
		defer conn.Close()
		accepted <- conn.(*tls.Conn).Handshake() == nil
	}()
	conn, err := net.Dial("tcp", listener.Addr().String())
	if err != nil {
		panic(err)
	}
	client := tls.Client(conn, &tls.Config{Certificates: []tls.Certificate{clientCert}, RootCAs: pool(p.Client.CA), ServerName: in.ServerName})
	clientOk := client.Handshake() == nil
	client.Close()
	return <-accepted && clientOk
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	results := make([]bool, len(in.Pairs))
	for i, p := range in.Pairs {
		results[i] = handshake(in, p)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
