package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapObjects is the runtime's count of bytes in heap objects, live or not
// yet swept: what the heap holds at that moment, garbage included, so its
// peak is what the process needed from the OS for objects.
const heapObjects = "/memory/classes/heap/objects:bytes"

// HeapPeak samples the heap while a run goes on and keeps the highest
// reading. Sampling every millisecond misses short spikes between samples,
// so the peak is a floor; runs of the large organization take seconds.
type HeapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

// StartHeapPeak begins sampling.
func StartHeapPeak() *HeapPeak {
	h := &HeapPeak{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		s := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peak in bytes.
func (h *HeapPeak) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak
}

// LiveHeap is the heap that survives a full collection: what is retained.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TotalAlloc is the bytes allocated on the heap since the process began.
func TotalAlloc() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
