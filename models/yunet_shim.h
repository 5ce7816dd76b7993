// C interface to OpenCV's cv::FaceDetectorYN for models/facedetect.go.
//
// No C++ exception crosses this interface: every entry point catches
// cv::Exception, std::exception and anything else, and reports failure
// through its return value and an error string.
#ifndef BIOGATE_YUNET_SHIM_H
#define BIOGATE_YUNET_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

// BIOGATE_YUNET_FIELDS is the number of floats per face in a result row:
// box x, y, w, h; 5 landmarks as x, y pairs; score.
#define BIOGATE_YUNET_FIELDS 15

typedef struct biogate_yunet biogate_yunet;

// biogate_yunet_new loads the ONNX model at model_path. On failure it returns
// NULL and sets *err to a malloc'd message the caller frees.
biogate_yunet* biogate_yunet_new(const char* model_path, float score_threshold,
                                 float nms_threshold, int top_k, char** err);

// biogate_yunet_free releases the detector and its buffers. NULL is allowed.
void biogate_yunet_free(biogate_yunet* y);

// biogate_yunet_detect runs the detector on img (a cv::Mat*, CV_8UC3),
// resized to w x h first when its size differs (into a buffer the detector
// reuses). It does not keep img. Up to cap result rows, in w x h
// coordinates, are copied to out (room for cap * BIOGATE_YUNET_FIELDS
// floats). It returns the number of faces found, which may exceed cap (see
// biogate_yunet_copy), or -1 on error (see biogate_yunet_error).
int biogate_yunet_detect(biogate_yunet* y, void* img, int w, int h, float* out, int cap);

// biogate_yunet_copy copies up to cap rows of the last detection to out and
// returns the number of faces in it, or -1 on error.
int biogate_yunet_copy(biogate_yunet* y, float* out, int cap);

// biogate_ridge_share measures how much of the region x, top, w, h of img
// is a ridge pattern, the texture of a fingerprint. img is a cv::Mat*,
// CV_8UC3, or NULL for the resized image that the last
// biogate_yunet_detect on y gave the network (when it resized); the region
// is clipped to the image. The region, area-scaled so its longer side
// is at most BIOGATE_RIDGE_SIDE, is cut into BIOGATE_RIDGE_GRID x
// BIOGATE_RIDGE_GRID blocks. A block with more than a quarter of the mean
// block's gradient energy is a ridge block when its gradients have one
// orientation (structure tensor coherence above BIOGATE_RIDGE_COHERENCE)
// and alternate in sign across it (the squared mean gradient below
// BIOGATE_RIDGE_MEAN of the mean squared gradient): parallel lines, not an
// edge, a shading ramp or noise. *share is the ridge blocks' share of the
// energetic blocks, 0 for a region under 16 px a side or without
// gradients. Uses y's scratch buffers. Returns 0, or -1 on error (see
// biogate_yunet_error).
#define BIOGATE_RIDGE_SIDE 192
#define BIOGATE_RIDGE_GRID 12
#define BIOGATE_RIDGE_COHERENCE 0.3f
#define BIOGATE_RIDGE_MEAN 0.05f
int biogate_ridge_share(biogate_yunet* y, void* img, int x, int top, int w, int h, float* share);

// biogate_yunet_error returns the last error message, owned by y and valid
// until the next call on y.
const char* biogate_yunet_error(biogate_yunet* y);

// biogate_set_num_threads calls cv::setNumThreads. It returns NULL, or a
// malloc'd message the caller frees.
char* biogate_set_num_threads(int n);

// biogate_quiet_logs sets OpenCV's log level to errors only, so its
// warnings (which can name files and devices) stay off stderr.
void biogate_quiet_logs(void);

#ifdef __cplusplus
}
#endif

#endif // BIOGATE_YUNET_SHIM_H
