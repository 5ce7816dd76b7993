// C interface to the MobileFaceNet embedder (cv::dnn::Net plus the warp to
// the aligned crop) for models/embed.go.
//
// No C++ exception crosses this interface: every entry point catches
// cv::Exception, std::exception and anything else, and reports failure
// through its return value and an error string.
#ifndef BIOGATE_EMBED_SHIM_H
#define BIOGATE_EMBED_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

// BIOGATE_EMBED_DIM is the length of the network's output vector;
// BIOGATE_EMBED_SIDE the side of the square aligned crop, in pixels.
#define BIOGATE_EMBED_DIM 128
#define BIOGATE_EMBED_SIDE 112

typedef struct biogate_embed biogate_embed;

// biogate_embed_new loads the ONNX model at path and checks that it maps a
// 1x3x112x112 input to BIOGATE_EMBED_DIM floats. When allow_batch is not 0
// it also finds out whether the model takes a batch of 2 (the output for a
// batch must equal the two single outputs); later runs use one forward of
// N=2 if so, two of N=1 otherwise. On failure it returns NULL and sets *err
// to a malloc'd message the caller frees.
biogate_embed* biogate_embed_new(const char* path, int allow_batch, char** err);

// biogate_embed_free releases the network and its buffers. NULL is allowed.
void biogate_embed_free(biogate_embed* e);

// biogate_embed_batched returns 1 if runs feed the crop and its mirror as
// one batch of 2, 0 if they take two forwards.
int biogate_embed_batched(biogate_embed* e);

// biogate_embed_run warps img (a cv::Mat*, CV_8UC3 BGR; anything else is an
// error) with the 2x3 row-major affine matrix m (img to crop coordinates) to
// a BIOGATE_EMBED_SIDE squared crop (bilinear, constant border 0), turns the
// crop and its horizontal mirror into RGB floats, /255, ImageNet mean and
// std, NCHW, and writes the network's raw outputs to out: the crop's at
// out[0 ..], the mirror's at out[BIOGATE_EMBED_DIM ..]. It keeps neither img
// nor m. It returns 0, or -1 on error (see biogate_embed_error).
int biogate_embed_run(biogate_embed* e, void* img, const double* m, float* out);

// biogate_embed_align warps img like biogate_embed_run and writes the BGR
// crop to dst (a cv::Mat*, reallocated as needed). It returns 0, or -1 on
// error (see biogate_embed_error).
int biogate_embed_align(biogate_embed* e, void* img, const double* m, void* dst);

// biogate_embed_error returns the last error message, owned by e and valid
// until the next call on e.
const char* biogate_embed_error(biogate_embed* e);

#ifdef __cplusplus
}
#endif

#endif // BIOGATE_EMBED_SHIM_H
