package okta

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v3"
)

// signerFromPEM builds the RS256 signer for client assertions from PEM
// bytes. The SDK's own parser takes only PKCS#1 and, given a string that
// names a file, reads it and exits the process on a read error; handing it
// a signer avoids both. Errors never quote the key.
func signerFromPEM(pemBytes []byte, keyID string) (jose.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("okta: private key: no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("okta: private key: PKCS#1: %w", err)
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("okta: private key: PKCS#8: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("okta: private key: PKCS#8 holds a %T; an RSA key is needed for RS256", k)
		}
		key = rk
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("okta: private key: encrypted keys are not supported; store it decrypted with restricted file permissions")
	default:
		return nil, fmt.Errorf("okta: private key: PEM type %q: want \"RSA PRIVATE KEY\" or \"PRIVATE KEY\"", block.Type)
	}
	opts := &jose.SignerOptions{}
	if keyID != "" {
		opts = opts.WithHeader("kid", keyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("okta: private key: %w", err)
	}
	return signer, nil
}
