// Error plumbing shared by the project's C++ shims: no C++ exception may
// cross into Go, so every entry point ends its try block with BIOGATE_CATCH,
// which turns the exception into a message. C++ only; include it from the
// .cpp files, not from the C headers cgo reads.
#ifndef BIOGATE_SHIM_ERRORS_H
#define BIOGATE_SHIM_ERRORS_H

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <opencv2/core.hpp>

// dup_message returns a malloc'd copy of s for Go to free, or NULL.
static inline char* dup_message(const char* s) {
    size_t n = std::strlen(s) + 1;
    char* p = static_cast<char*>(std::malloc(n));
    if (p != NULL) {
        std::memcpy(p, s, n);
    }
    return p;
}

// set_message stores prefix + what in dst. It cannot throw: if even that
// allocation fails, dst is left empty and Go reports an unknown failure.
static inline void set_message(std::string& dst, const char* prefix, const char* what) {
    try {
        dst = prefix;
        dst += what;
    } catch (...) {
        dst.clear();
    }
}

// BIOGATE_CATCH ends a try block: it stores the exception's message in the
// std::string `dst` and runs `fail`.
#define BIOGATE_CATCH(dst, fail)                                       \
    catch (const cv::Exception& biogate_exc_) {                                   \
        set_message(dst, "opencv: ", biogate_exc_.what());                        \
        fail;                                                          \
    }                                                                  \
    catch (const std::exception& biogate_exc_) {                                  \
        set_message(dst, "c++: ", biogate_exc_.what());                           \
        fail;                                                          \
    }                                                                  \
    catch (...) {                                                      \
        set_message(dst, "c++: ", "unknown exception");                \
        fail;                                                          \
    }

#endif
