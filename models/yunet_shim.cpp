// See yunet_shim.h. Every function body is one try block whose handlers
// (shim_errors.h) turn the exception into an error message.
#include "yunet_shim.h"
#include "shim_errors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/core/utils/logger.hpp>

struct biogate_yunet {
    cv::Ptr<cv::FaceDetectorYN> det;
    cv::Size input;  // the size last given to setInputSize
    cv::Mat resized; // reused across calls
    cv::Mat faces;   // last result, N x 15 CV_32F
    // biogate_ridge_share's scratch, reused across calls
    cv::Mat small, grey, gx, gy, prod, gxx, gyy, gxy, mx, my;
    std::string err;
};


// OpenCV 4.6's DNN frees and re-allocates about 1.7 MB of scratch memory per
// forward pass at 320x240. With glibc's adaptive thresholds the heap top is
// trimmed after each pass and the next one faults ~420 fresh pages back in,
// which was half of the per-frame time (measured with perf and strace; the
// python3-opencv peer suffers the same). Fixed thresholds keep that memory
// mapped. Process-wide, set once, before the first detector exists.
static void tune_malloc() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif
}
static std::once_flag malloc_once;

biogate_yunet* biogate_yunet_new(const char* model_path, float score_threshold,
                                 float nms_threshold, int top_k, char** err) {
    biogate_yunet* y = NULL;
    try {
        std::call_once(malloc_once, tune_malloc);
        y = new biogate_yunet();
        // The input size is a placeholder: detect sets the real one per frame.
        y->input = cv::Size(320, 240);
        y->det = cv::FaceDetectorYN::create(model_path, "", y->input,
                                            score_threshold, nms_threshold, top_k);
        if (y->det.empty()) {
            delete y;
            y = NULL;
            *err = dup_message("opencv: FaceDetectorYN::create returned nothing");
            return NULL;
        }
        return y;
    }
    BIOGATE_CATCH_NEW(y, err)
}

void biogate_yunet_free(biogate_yunet* y) {
    delete_quietly(y);
}

static int copy_rows(biogate_yunet* y, float* out, int cap) {
    if (y->faces.empty()) {
        return 0;
    }
    if (y->faces.type() != CV_32F || y->faces.cols != BIOGATE_YUNET_FIELDS) {
        set_message(y->err, "yunet: ", "unexpected result shape");
        return -1;
    }
    int n = y->faces.rows;
    int k = n < cap ? n : cap;
    for (int i = 0; i < k; i++) {
        std::memcpy(out + i * BIOGATE_YUNET_FIELDS, y->faces.ptr<float>(i),
                    BIOGATE_YUNET_FIELDS * sizeof(float));
    }
    return n;
}

int biogate_yunet_detect(biogate_yunet* y, void* img, int w, int h, float* out, int cap) {
    try {
        y->err.clear();
        y->faces.release();
        const cv::Mat& src = *static_cast<const cv::Mat*>(img);
        const cv::Size size(w, h);
        const cv::Mat* in = &src;
        if (src.size() != size) {
            // INTER_AREA: the right filter for downscaling, no aliasing.
            cv::resize(src, y->resized, size, 0, 0, cv::INTER_AREA);
            in = &y->resized;
        }
        if (y->input != size) {
            y->det->setInputSize(size);
            y->input = size;
        }
        y->det->detect(*in, y->faces);
        return copy_rows(y, out, cap);
    }
    BIOGATE_CATCH(y->err, return -1)
}

int biogate_yunet_copy(biogate_yunet* y, float* out, int cap) {
    try {
        y->err.clear();
        return copy_rows(y, out, cap);
    }
    BIOGATE_CATCH(y->err, return -1)
}

const char* biogate_yunet_error(biogate_yunet* y) {
    return y->err.c_str();
}

char* biogate_set_num_threads(int n) {
    try {
        cv::setNumThreads(n);
        return NULL;
    } catch (...) {
        return caught_dup();
    }
}

void biogate_quiet_logs(void) {
    try {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    } catch (...) {
    }
}

int biogate_ridge_share(biogate_yunet* y, void* img, int x, int top, int w, int h, float* share) {
    try {
        y->err.clear();
        *share = 0;
        // NULL: the network's input of the last detection, resized.
        const cv::Mat& src = img ? *static_cast<const cv::Mat*>(img) : y->resized;
        const cv::Rect r = cv::Rect(x, top, w, h) & cv::Rect(0, 0, src.cols, src.rows);
        if (r.width < 16 || r.height < 16) {
            return 0;
        }
        const cv::Mat region = src(r);
        const cv::Mat* in = &region;
        const double scale = double(BIOGATE_RIDGE_SIDE) / std::max(r.width, r.height);
        if (scale < 1) {
            cv::resize(region, y->small, cv::Size(), scale, scale, cv::INTER_AREA);
            in = &y->small;
        }
        cv::cvtColor(*in, y->grey, cv::COLOR_BGR2GRAY);
        cv::Sobel(y->grey, y->gx, CV_32F, 1, 0, 3);
        cv::Sobel(y->grey, y->gy, CV_32F, 0, 1, 3);
        // INTER_AREA to the grid size averages each block.
        const cv::Size grid(BIOGATE_RIDGE_GRID, BIOGATE_RIDGE_GRID);
        cv::multiply(y->gx, y->gx, y->prod);
        cv::resize(y->prod, y->gxx, grid, 0, 0, cv::INTER_AREA);
        cv::multiply(y->gy, y->gy, y->prod);
        cv::resize(y->prod, y->gyy, grid, 0, 0, cv::INTER_AREA);
        cv::multiply(y->gx, y->gy, y->prod);
        cv::resize(y->prod, y->gxy, grid, 0, 0, cv::INTER_AREA);
        cv::resize(y->gx, y->mx, grid, 0, 0, cv::INTER_AREA);
        cv::resize(y->gy, y->my, grid, 0, 0, cv::INTER_AREA);
        double mean = 0;
        for (int i = 0; i < grid.height; i++) {
            for (int j = 0; j < grid.width; j++) {
                mean += y->gxx.at<float>(i, j) + y->gyy.at<float>(i, j);
            }
        }
        mean /= grid.area();
        if (!(mean > 0)) {
            return 0;
        }
        int energetic = 0, ridges = 0;
        for (int i = 0; i < grid.height; i++) {
            for (int j = 0; j < grid.width; j++) {
                const float a = y->gxx.at<float>(i, j), b = y->gyy.at<float>(i, j), c = y->gxy.at<float>(i, j);
                const float e = a + b;
                if (!(e > 0.25 * mean)) {
                    continue;
                }
                energetic++;
                const float coherence = std::sqrt((a - b) * (a - b) + 4 * c * c) / e;
                const float u = y->mx.at<float>(i, j), v = y->my.at<float>(i, j);
                if (coherence > BIOGATE_RIDGE_COHERENCE && u * u + v * v < BIOGATE_RIDGE_MEAN * e) {
                    ridges++;
                }
            }
        }
        *share = energetic > 0 ? float(ridges) / energetic : 0;
        return 0;
    }
    BIOGATE_CATCH(y->err, return -1)
}
