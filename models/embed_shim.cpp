// See embed_shim.h. Every entry point is one try block whose handlers
// (shim_errors.h) turn the exception into an error message.
#include "embed_shim.h"
#include "shim_errors.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace {

const int kSide = BIOGATE_EMBED_SIDE;
const int kDim = BIOGATE_EMBED_DIM;
const int kPlane = kSide * kSide;

} // namespace

struct biogate_embed {
    cv::dnn::Net net;
    bool batched;
    cv::Mat aligned; // kSide x kSide CV_8UC3, reused across calls
    cv::Mat blob;    // 2 x 3 x kSide x kSide CV_32F: the crop, then its mirror
    cv::Mat one[2];  // 1 x 3 x kSide x kSide headers on blob's two samples
    // lut[c][v] is byte v of RGB channel c after /255, - mean, / std,
    // computed in float as the reference (torchvision's ToTensor and
    // Normalize) does it.
    float lut[3][256];
    std::string err;
};

// forward runs the network on in (N samples) and copies its N x kDim
// outputs to out. It throws when the output is not N x kDim floats.
static void forward(biogate_embed* em, const cv::Mat& in, int n, float* out) {
    em->net.setInput(in); // copies into the net's own input buffer
    // A header on the net's output buffer, not a copy.
    const cv::Mat o = em->net.forward();
    if (o.type() != CV_32F || o.total() != static_cast<size_t>(n) * kDim || !o.isContinuous()) {
        throw std::runtime_error("unexpected output shape: want 128 floats per face");
    }
    std::memcpy(out, o.ptr<float>(), static_cast<size_t>(n) * kDim * sizeof(float));
}

// infer runs both samples of em->blob and writes 2 x kDim outputs to out.
static void infer(biogate_embed* em, float* out) {
    if (em->batched) {
        forward(em, em->blob, 2, out);
        return;
    }
    forward(em, em->one[0], 1, out);
    forward(em, em->one[1], 1, out + kDim);
}

static bool close_enough(const float* a, const float* b, int n) {
    for (int i = 0; i < n; i++) {
        if (!std::isfinite(a[i]) || !(std::fabs(a[i] - b[i]) <= 1e-4f + 1e-4f * std::fabs(b[i]))) {
            return false;
        }
    }
    return true;
}

// probe_batch tells whether a forward of N=2 gives the two N=1 outputs. The
// export fixed the batch at 1 (its final Reshape), so this is a measurement,
// not an assumption; any failure means "no".
static bool probe_batch(biogate_embed* em, const float* single) {
    try {
        float both[2 * kDim];
        forward(em, em->blob, 2, both);
        return close_enough(both, single, 2 * kDim);
    } catch (...) {
        return false;
    }
}

biogate_embed* biogate_embed_new(const char* path, int allow_batch, char** err) {
    biogate_embed* em = NULL;
    try {
        em = new biogate_embed();
        em->batched = false;
        const int shape[4] = {2, 3, kSide, kSide};
        const int shape1[4] = {1, 3, kSide, kSide};
        em->aligned.create(kSide, kSide, CV_8UC3);
        em->blob.create(4, shape, CV_32F);
        for (int i = 0; i < 2; i++) {
            em->one[i] = cv::Mat(4, shape1, CV_32F, em->blob.ptr<float>() + i * 3 * kPlane);
        }
        const float mean[3] = {0.485f, 0.456f, 0.406f};
        const float stdev[3] = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                em->lut[c][v] = (static_cast<float>(v) / 255.0f - mean[c]) / stdev[c];
            }
        }

        em->net = cv::dnn::readNetFromONNX(path);
        if (em->net.empty()) {
            throw std::runtime_error("readNetFromONNX returned an empty net");
        }
        em->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        em->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

        // Two different inputs in normalised range, from a fixed seed.
        cv::RNG rng(0x62696f67);
        rng.fill(em->blob, cv::RNG::UNIFORM, -2.0, 2.0);
        float single[2 * kDim];
        forward(em, em->one[0], 1, single); // checks the output shape
        forward(em, em->one[1], 1, single + kDim);
        if (!close_enough(single, single, 2 * kDim)) {
            throw std::runtime_error("non-finite output");
        }
        em->batched = allow_batch != 0 && probe_batch(em, single);
        if (!em->batched) {
            // Leave the net set up for the shape later runs use.
            forward(em, em->one[0], 1, single);
        }
        return em;
    }
    BIOGATE_CATCH_NEW(em, err)
}

void biogate_embed_free(biogate_embed* em) {
    delete_quietly(em);
}

int biogate_embed_batched(biogate_embed* em) {
    return em->batched ? 1 : 0;
}

// warp writes img warped by m to dst.
static void warp(const void* img, const double* m, cv::Mat& dst) {
    const cv::Mat& src = *static_cast<const cv::Mat*>(img);
    if (src.empty() || src.dims != 2 || src.type() != CV_8UC3) {
        throw std::invalid_argument("image is not a non-empty CV_8UC3 Mat");
    }
    const cv::Matx23d M(m);
    // INTER_LINEAR and a black border: cv2.warpAffine's defaults, which the
    // reference's alignment (and the model's training crops) used.
    cv::warpAffine(src, dst, M, cv::Size(kSide, kSide), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar::all(0));
}

int biogate_embed_run(biogate_embed* em, void* img, const double* m, float* out) {
    try {
        em->err.clear();
        warp(img, m, em->aligned);
        // Interleaved BGR bytes to planar normalised RGB floats, the crop
        // into sample 0 and its mirror into sample 1 in the same pass.
        float* crop = em->blob.ptr<float>();
        float* mirror = crop + 3 * kPlane;
        for (int y = 0; y < kSide; y++) {
            const uchar* p = em->aligned.ptr<uchar>(y);
            const int row = y * kSide;
            for (int x = 0; x < kSide; x++, p += 3) {
                const float r = em->lut[0][p[2]], g = em->lut[1][p[1]], b = em->lut[2][p[0]];
                const int i = row + x, j = row + (kSide - 1 - x);
                crop[i] = r;
                crop[kPlane + i] = g;
                crop[2 * kPlane + i] = b;
                mirror[j] = r;
                mirror[kPlane + j] = g;
                mirror[2 * kPlane + j] = b;
            }
        }
        infer(em, out);
        return 0;
    }
    BIOGATE_CATCH(em->err, return -1)
}

int biogate_embed_align(biogate_embed* em, void* img, const double* m, void* dst) {
    try {
        em->err.clear();
        warp(img, m, *static_cast<cv::Mat*>(dst));
        return 0;
    }
    BIOGATE_CATCH(em->err, return -1)
}

const char* biogate_embed_error(biogate_embed* em) {
    return em->err.c_str();
}
