package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/gatehouse/gatehouse/client"
)

// The happy path of an M2M service: a token source for the API it calls,
// and an HTTP client that sends its token (cached, renewed before expiry).
func ExampleNewTokenSource() {
	ts := client.NewTokenSource(client.TokenConfig{
		BaseURL:  "https://auth.example.com",
		ClientID: "my-app-id", ClientSecret: "my-app-secret",
		Resource: "https://shopping.api", Scopes: []string{"read:products"},
	})
	resp, err := ts.Client().Get("https://shopping.example.com/products")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
}

// The happy path of the Management API: the options of @logto/api's
// createManagementApi, then typed calls.
func ExampleNewManagementAPI() {
	ctx := context.Background()
	m := client.NewManagementAPI("default", client.ManagementOptions{
		ClientID: "my-admin-app-id", ClientSecret: "my-admin-app-secret",
		BaseURL: "https://auth.example.com",
	})
	for app, err := range m.AllApplications(ctx, client.ListApplicationsParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(app.ID, app.Name)
	}
}

// Errors are values: test them with errors.Is.
func ExampleError() {
	ctx := context.Background()
	m := client.NewManagementAPI("default", client.ManagementOptions{
		ClientID: "my-admin-app-id", ClientSecret: "my-admin-app-secret",
		BaseURL: "https://auth.example.com",
	})
	_, err := m.CreateResource(ctx, client.ResourceCreate{Name: "Shopping", Indicator: "https://shopping.api"})
	switch {
	case errors.Is(err, client.ErrConflict):
		fmt.Println("already there")
	case err != nil:
		log.Fatal(err)
	}
}
