package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/protect"
)

// Product is one item of the shop.
type Product struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Price     float64   `json:"price"`
	CreatedBy string    `json:"createdBy"` // the client id of the app that added it
	CreatedAt time.Time `json:"createdAt"`
}

// store is the in-memory product list.
type store struct {
	mu       sync.Mutex
	products []Product
	next     int
}

func newStore() *store {
	return &store{next: 3, products: []Product{
		{ID: "1", Name: "Espresso beans, 1 kg", Price: 24.5, CreatedBy: "seed", CreatedAt: time.Unix(1735689600, 0).UTC()},
		{ID: "2", Name: "Milk frother", Price: 39, CreatedBy: "seed", CreatedAt: time.Unix(1735689600, 0).UTC()},
	}}
}

func (s *store) list() []Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Product(nil), s.products...)
}

func (s *store) add(p Product) Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.ID = strconv.Itoa(s.next)
	s.next++
	s.products = append(s.products, p)
	return p
}

// newHandler is the API: the route table, each route with the scope it
// needs.
func newHandler(v *protect.Validator, s *store, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /products", v.Require("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.list())
	})))
	mux.Handle("POST /products", v.Require("write:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := protect.ClaimsFrom(r.Context())
		var in struct {
			Name  string  `json:"name"`
			Price float64 `json:"price"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
			return
		}
		in.Name = strings.TrimSpace(in.Name)
		if err := validate(in.Name, in.Price); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		p := s.add(Product{Name: in.Name, Price: in.Price, CreatedBy: c.ClientID, CreatedAt: time.Now().UTC()})
		log.Info("product added", "id", p.ID, "by", c.ClientID)
		writeJSON(w, http.StatusCreated, p)
	})))
	return mux
}

func validate(name string, price float64) error {
	switch {
	case name == "" || len(name) > 200:
		return errors.New("name must be 1 to 200 characters")
	case price < 0 || price > 1e9:
		return errors.New("price must be between 0 and 1e9")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
