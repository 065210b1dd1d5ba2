// gocheck opens gomemsim's Go-native outputs with the Go that runs it, as Go's own tools would:
//
//	go run ./tests/gocheck DIR
//
// metrics.csv (if DIR has one): every column after time_s and step must be a name in
// runtime/metrics.All() of this Go, and every cell must parse as that metric's kind (uint64 or
// float64); names of this Go that the file lacks are listed, as information only.
// memstats.jsonl: every line's "memstats" must decode into runtime.MemStats with
// json.Decoder.DisallowUnknownFields, and must hold every field of it under its exact name
// (encoding/json alone would take "NumForcedGc" for NumForcedGC) with arrays at their full
// length, so a misspelt, missing or renamed field fails.
// Standard library only; it builds with Go 1.19 and later. Exit status 1 on any failure.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gocheck DIR (holding memstats.jsonl and, from Go 1.16, metrics.csv)")
		os.Exit(2)
	}
	dir := os.Args[1]
	failed := false
	for _, check := range []func(string) error{checkMetricsCSV, checkMemStatsJSONL} {
		if err := check(dir); err != nil {
			fmt.Fprintln(os.Stderr, "gocheck:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Println("gocheck: ok with", runtime.Version())
}

func checkMetricsCSV(dir string) error {
	path := filepath.Join(dir, "metrics.csv")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Println("gocheck: no metrics.csv (a Go release without runtime/metrics)")
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if len(rows) < 2 {
		return fmt.Errorf("%s: a header and at least one row expected, got %d lines", path, len(rows))
	}
	header := rows[0]
	if len(header) < 3 || header[0] != "time_s" || header[1] != "step" {
		return fmt.Errorf("%s: header must start time_s,step and name at least one metric: %q", path, header)
	}
	kinds := map[string]metrics.ValueKind{}
	for _, d := range metrics.All() {
		kinds[d.Name] = d.Kind
	}
	var bad []string
	seen := map[string]bool{}
	for _, name := range header[2:] {
		if seen[name] {
			bad = append(bad, name+" (twice)")
		}
		seen[name] = true
		kind, ok := kinds[name]
		if !ok {
			bad = append(bad, name+" (not in runtime/metrics.All())")
		} else if kind != metrics.KindUint64 && kind != metrics.KindFloat64 {
			bad = append(bad, name+" (not a scalar metric)")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %d column(s) %s does not have: %q", path, len(bad), runtime.Version(), bad)
	}
	for i, row := range rows[1:] {
		for j, cell := range row[2:] {
			name := header[j+2]
			if kinds[name] == metrics.KindUint64 {
				_, err = strconv.ParseUint(cell, 10, 64)
			} else {
				_, err = strconv.ParseFloat(cell, 64)
			}
			if err != nil {
				return fmt.Errorf("%s:%d: %s: %q is not a %v value", path, i+2, name, cell, kinds[name])
			}
		}
	}
	var lacks []string
	for name := range kinds {
		if !seen[name] {
			lacks = append(lacks, name)
		}
	}
	sort.Strings(lacks)
	fmt.Printf("gocheck: metrics.csv: %d columns, all in %s's runtime/metrics; %d of its metrics not in the file:\n",
		len(header)-2, runtime.Version(), len(lacks))
	for _, name := range lacks {
		fmt.Println("  ", name)
	}
	return nil
}

func checkMemStatsJSONL(dir string) error {
	path := filepath.Join(dir, "memstats.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	lines := 0
	for sc.Scan() {
		lines++
		var line struct {
			TimeS    *float64        `json:"time_s"`
			Step     *string         `json:"step"`
			MemStats json.RawMessage `json:"memstats"`
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&line); err != nil {
			return fmt.Errorf("%s:%d: %v", path, lines, err)
		}
		if line.TimeS == nil || line.Step == nil || line.MemStats == nil {
			return fmt.Errorf("%s:%d: time_s, step and memstats expected", path, lines)
		}
		var ms runtime.MemStats
		dec = json.NewDecoder(bytes.NewReader(line.MemStats))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ms); err != nil {
			return fmt.Errorf("%s:%d: memstats into runtime.MemStats: %v", path, lines, err)
		}
		if err := complete(line.MemStats, reflect.TypeOf(ms), "MemStats"); err != nil {
			return fmt.Errorf("%s:%d: %v", path, lines, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if lines == 0 {
		return fmt.Errorf("%s: no lines", path)
	}
	fmt.Printf("gocheck: memstats.jsonl: %d lines, each a whole runtime.MemStats of %s\n", lines, runtime.Version())
	return nil
}

// complete fails unless raw holds every field of t (recursively), and every array at t's length.
func complete(raw json.RawMessage, t reflect.Type, where string) error {
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		// encoding/json matches names case-insensitively: a key must be a field's exact name.
		exact := map[string]bool{}
		for i := 0; i < t.NumField(); i++ {
			exact[t.Field(i).Name] = true
		}
		for k := range obj {
			if !exact[k] {
				return fmt.Errorf("%s: %q is not a field's exact name", where, k)
			}
		}
		for i := 0; i < t.NumField(); i++ {
			fld := t.Field(i)
			v, ok := obj[fld.Name]
			if !ok {
				return fmt.Errorf("%s: field %s missing", where, fld.Name)
			}
			if err := complete(v, fld.Type, where+"."+fld.Name); err != nil {
				return err
			}
		}
	case reflect.Array:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		if len(elems) != t.Len() {
			return fmt.Errorf("%s: %d elements, runtime.MemStats has %d", where, len(elems), t.Len())
		}
		for i, e := range elems {
			if err := complete(e, t.Elem(), fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
