package gateway

import (
	"encoding/json"
	"net/http"
	"testing"
)

func (kioskCameras) Devices() []Device {
	return []Device{{ID: "front", Kind: "camera", Backend: "test", Available: true}}
}

func TestDevicesEndpoint(t *testing.T) {
	h := newHarnessCameras(t, &testPipeline{}, kioskCameras{}, nil)
	get := func(key string) (*http.Response, []Device) {
		req, _ := http.NewRequest("GET", h.ts.URL+"/v1/devices", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Devices []Device `json:"devices"`
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
		}
		return resp, body.Devices
	}
	if resp, _ := get(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %s", resp.Status)
	}
	if resp, _ := get(keyKiosk); resp.StatusCode != http.StatusForbidden {
		t.Errorf("kiosk key: %s, want 403 (admin scope needed)", resp.Status)
	}
	resp, list := get(keyAdmin)
	if resp.StatusCode != http.StatusOK || len(list) != 1 || list[0].ID != "front" || !list[0].Available {
		t.Errorf("admin key: %s %+v", resp.Status, list)
	}
}
