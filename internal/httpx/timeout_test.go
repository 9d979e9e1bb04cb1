package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			_, _ = io.WriteString(w, "fine")
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // headers out, body stalls
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &http.Client{Transport: &Timeout{Base: http.DefaultTransport, After: 50 * time.Millisecond}}

	resp, err := c.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "fine" {
		t.Fatalf("body %q", body)
	}

	_, err = c.Get(srv.URL + "/stall")
	var te *TimeoutError
	if !errors.As(err, &te) || te.Error() != "request timed out after 50ms" {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v is not a timeout", err)
	}
}
