// See antispoof_shim.h. Every entry point is one try block whose handlers
// (shim_errors.h) turn the exception into an error message.
#include "antispoof_shim.h"
#include "shim_errors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

struct biogate_antispoof {
    cv::dnn::Net net[BIOGATE_ANTISPOOF_NETS];
    cv::Mat resized; // SIDE x SIDE CV_8UC3, reused across calls
    cv::Mat blob;    // 1 x 3 x SIDE x SIDE CV_32F, reused across calls
    std::string err;
};

// run_net runs network i on a->blob and copies its logits to out. It throws
// when the output is not BIOGATE_ANTISPOOF_CLASSES floats.
static void run_net(biogate_antispoof* a, int i, float* out) {
    a->net[i].setInput(a->blob); // copies into the net's own input buffer
    // A header on the net's output buffer, not a copy.
    const cv::Mat o = a->net[i].forward();
    if (o.type() != CV_32F || o.total() != BIOGATE_ANTISPOOF_CLASSES || !o.isContinuous()) {
        throw std::runtime_error("unexpected output shape: want 3 float logits");
    }
    std::memcpy(out, o.ptr<float>(), BIOGATE_ANTISPOOF_CLASSES * sizeof(float));
}

// cast_of returns log(mean blue / mean red) over the rectangle r (x, y,
// width, height) of src, clipped to it, and false when nothing is left
// to measure.
static bool cast_of(const cv::Mat& src, const int* r, double* cast) {
    const cv::Rect region = cv::Rect(r[0], r[1], r[2], r[3]) & cv::Rect(0, 0, src.cols, src.rows);
    if (region.area() <= 0) {
        return false;
    }
    const cv::Scalar m = cv::mean(src(region));
    if (!(m[0] > 0 && m[2] > 0)) {
        return false;
    }
    *cast = std::log(m[0] / m[2]);
    return true;
}

// cast_excess returns how far, in log(blue / red), the colour fed to the
// networks is moved (see biogate_antispoof_run): below 0 to cool a warm
// frame, above 0 to warm a cool one, 0 to leave it. r[0..3] is the face
// with its surroundings, r[4..7] the inner face.
static double cast_excess(const cv::Mat& src, const int* r) {
    double around, face;
    if (!cast_of(src, r, &around)) {
        return 0;
    }
    const double warm = -std::log(BIOGATE_ANTISPOOF_WARM_CAP);
    if (around < warm) {
        return around - warm;
    }
    const double face_warmest = std::log(BIOGATE_ANTISPOOF_SKIN_BR);
    if (around > 0 && cast_of(src, r + 4, &face) && face > face_warmest) {
        return std::min(around, face - face_warmest);
    }
    return 0;
}

biogate_antispoof* biogate_antispoof_new(char** err) {
    biogate_antispoof* a = NULL;
    try {
        a = new biogate_antispoof();
        const int side = BIOGATE_ANTISPOOF_SIDE;
        const int shape[4] = {1, 3, side, side};
        a->resized.create(side, side, CV_8UC3);
        a->blob.create(4, shape, CV_32F);
        return a;
    }
    BIOGATE_CATCH_NEW(a, err)
}

int biogate_antispoof_load(biogate_antispoof* a, int i, const char* path) {
    try {
        a->err.clear();
        if (i < 0 || i >= BIOGATE_ANTISPOOF_NETS) {
            throw std::out_of_range("network index out of range");
        }
        cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
        if (net.empty()) {
            throw std::runtime_error("readNetFromONNX returned an empty net");
        }
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        a->net[i] = net;
        // The first forward sets the net up (allocates its buffers) and
        // checks the output shape, so a wrong model fails here.
        a->blob.setTo(cv::Scalar::all(0));
        float logits[BIOGATE_ANTISPOOF_CLASSES];
        try {
            run_net(a, i, logits);
        } catch (...) {
            a->net[i] = cv::dnn::Net();
            throw;
        }
        return 0;
    }
    BIOGATE_CATCH(a->err, return -1)
}

void biogate_antispoof_free(biogate_antispoof* a) {
    delete_quietly(a);
}

int biogate_antispoof_run(biogate_antispoof* a, void* img, const int* crops, int published, float* logits) {
    try {
        a->err.clear();
        const cv::Mat& src = *static_cast<const cv::Mat*>(img);
        const int side = BIOGATE_ANTISPOOF_SIDE;
        const int plane = side * side;
        float* b = a->blob.ptr<float>();
        // The cast caps (cast_excess): gains for blue and red, 1 unless
        // the frame is warmer or cooler than what the networks are fed.
        float gain_b = 1, gain_r = 1;
        if (!published) {
            const double excess = cast_excess(src, crops + 4 * BIOGATE_ANTISPOOF_NETS);
            gain_b = static_cast<float>(std::exp(-excess / 2));
            gain_r = static_cast<float>(std::exp(excess / 2));
        }
        for (int i = 0; i < BIOGATE_ANTISPOOF_NETS; i++) {
            if (a->net[i].empty()) {
                throw std::runtime_error("network not loaded");
            }
            const int* c = crops + 4 * i;
            // Throws (an error, not a crash) when the rectangle leaves src.
            const cv::Mat roi = src(cv::Rect(c[0], c[1], c[2], c[3]));
            // INTER_AREA, not the original's INTER_LINEAR (cv2.resize's
            // default): the crop is 2-8 times the input's side, and a
            // bilinear downscale samples a few pixels and keeps their
            // noise and aliasing (see models/antispoof.go).
            cv::resize(roi, a->resized, cv::Size(side, side), 0, 0, published ? cv::INTER_LINEAR : cv::INTER_AREA);
            // Interleaved BGR bytes to planar floats, 0-255 unscaled.
            for (int y = 0; y < side; y++) {
                const uchar* p = a->resized.ptr<uchar>(y);
                float* o = b + y * side;
                for (int x = 0; x < side; x++, p += 3) {
                    o[x] = std::min(255.0f, p[0] * gain_b);
                    o[plane + x] = p[1];
                    o[2 * plane + x] = std::min(255.0f, p[2] * gain_r);
                }
            }
            run_net(a, i, logits + BIOGATE_ANTISPOOF_CLASSES * i);
        }
        return 0;
    }
    BIOGATE_CATCH(a->err, return -1)
}

const char* biogate_antispoof_error(biogate_antispoof* a) {
    return a->err.c_str();
}
