//go:build matprofile

package main

import "gocv.io/x/gocv"

// matsLeft is the number of gocv Mats still open.
func matsLeft() int { return gocv.MatProfile.Count() }
