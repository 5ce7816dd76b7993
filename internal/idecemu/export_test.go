package idecemu

// GalleryName is the base name of the files of the IIN id in s's gallery.
func GalleryName(s *Server, id string) string { return s.gallery.name(id) }
