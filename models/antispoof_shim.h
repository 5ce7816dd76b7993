// C interface to two MiniFASNet networks (cv::dnn::Net) for
// models/antispoof.go.
//
// No C++ exception crosses this interface: every entry point catches
// cv::Exception, std::exception and anything else, and reports failure
// through its return value and an error string.
#ifndef BIOGATE_ANTISPOOF_SHIM_H
#define BIOGATE_ANTISPOOF_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

// BIOGATE_ANTISPOOF_NETS is the number of networks (MiniFASNetV2, then
// MiniFASNetV1SE); BIOGATE_ANTISPOOF_CLASSES the logits each one returns;
// BIOGATE_ANTISPOOF_SIDE the side of the square input, in pixels.
#define BIOGATE_ANTISPOOF_NETS 2
#define BIOGATE_ANTISPOOF_CLASSES 3
#define BIOGATE_ANTISPOOF_SIDE 80
// BIOGATE_ANTISPOOF_WARM_CAP: a face region bluer than 1/CAP of its red
// (mean B over mean R) is cooled to that ratio (see biogate_antispoof_run).
#define BIOGATE_ANTISPOOF_WARM_CAP 1.35
// BIOGATE_ANTISPOOF_SKIN_BR: the bluest a face is fed (mean B over mean R
// of the inner face) when it and its surroundings have a cool cast. Skin
// under a neutral white balance measures 0.35-0.78 on the shared data.
#define BIOGATE_ANTISPOOF_SKIN_BR 0.9

typedef struct biogate_antispoof biogate_antispoof;

// biogate_antispoof_new returns an AntiSpoof with no networks loaded and
// its buffers allocated. On failure it returns NULL and sets *err to a
// malloc'd message the caller frees.
biogate_antispoof* biogate_antispoof_new(char** err);

// biogate_antispoof_load loads the ONNX model at path as network i
// (0 = MiniFASNetV2, 1 = MiniFASNetV1SE) and runs it once on a black input
// to check that it returns BIOGATE_ANTISPOOF_CLASSES float logits. It
// returns 0, or -1 on error (see biogate_antispoof_error).
int biogate_antispoof_load(biogate_antispoof* a, int i, const char* path);

// biogate_antispoof_free releases the networks and their buffers. NULL is
// allowed.
void biogate_antispoof_free(biogate_antispoof* a);

// biogate_antispoof_run needs both networks loaded. It crops img (a
// cv::Mat*, CV_8UC3) to the rectangle crops[4*i .. 4*i+3] = x, y, width,
// height for network i, resizes the crop to BIOGATE_ANTISPOOF_SIDE squared
// (area averaging) into a buffer a reuses, feeds it as raw BGR 0-255 NCHW
// floats and writes the network's logits to logits[BIOGATE_ANTISPOOF_CLASSES*i
// ..]. crops[4*NETS .. 4*NETS+3] is the face with its surroundings and
// crops[4*NETS+4 .. 4*NETS+7] the inner face, whose colour casts are
// measured. When the surroundings' mean blue over mean red is below
// 1/BIOGATE_ANTISPOOF_WARM_CAP (a warm cast), blue is raised and red
// lowered by reciprocal gains in every crop fed, so that the region would
// sit at that ratio. When it is above 1 (a cool cast) and the inner face's
// is above BIOGATE_ANTISPOOF_SKIN_BR, the gains go the other way, by as
// little as brings either to its bound: the face is never fed warmer than
// SKIN_BR. Green is untouched; values are capped at 255. An empty region
// (or one outside img) measures nothing. It does not keep img. It
// returns 0, or -1 on error (see biogate_antispoof_error); a crop
// rectangle outside img is an error, not a crash. published != 0 feeds the
// crops as Silent-Face-Anti-Spoofing's test.py does instead: a bilinear
// resize and no cast cap.
int biogate_antispoof_run(biogate_antispoof* a, void* img, const int* crops, int published, float* logits);

// biogate_antispoof_error returns the last error message, owned by a and
// valid until the next call on a.
const char* biogate_antispoof_error(biogate_antispoof* a);

#ifdef __cplusplus
}
#endif

#endif // BIOGATE_ANTISPOOF_SHIM_H
