// Error plumbing shared by the project's C++ shims: no C++ exception may
// cross into Go, so every entry point ends its try block with one of the
// BIOGATE_CATCH macros, which turn the exception into a message. C++ only;
// include it from the .cpp files, not from the C headers cgo reads. The Go
// side of the plumbing is models/native.go.
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

// caught_message stores the message of the exception being handled in dst:
// "opencv: " or "c++: " and its what(). Call it only inside a catch block.
static inline void caught_message(std::string& dst) {
    try {
        throw;
    } catch (const cv::Exception& e) {
        set_message(dst, "opencv: ", e.what());
    } catch (const std::exception& e) {
        set_message(dst, "c++: ", e.what());
    } catch (...) {
        set_message(dst, "c++: ", "unknown exception");
    }
}

// caught_dup returns the message of the exception being handled as a
// malloc'd string for Go to free (see caught_message), or NULL when out of
// memory. Call it only inside a catch block.
static inline char* caught_dup() {
    std::string msg;
    caught_message(msg);
    return dup_message(msg.c_str());
}

// delete_quietly deletes p (NULL allowed) and swallows anything its
// destructor throws; the destructors of cv::Mat, cv::Ptr and cv::dnn::Net do
// not throw, so there is nothing to report.
template <typename T>
static inline void delete_quietly(T* p) {
    try {
        delete p;
    } catch (...) {
    }
}

// BIOGATE_CATCH ends a try block: it stores the exception's message in the
// std::string `dst` (an object's last error) and runs `fail`.
#define BIOGATE_CATCH(dst, fail) \
    catch (...) {                \
        caught_message(dst);     \
        fail;                    \
    }

// BIOGATE_CATCH_NEW ends the try block of a constructor entry point: it sets
// *err to the exception's malloc'd message, deletes the half-built object
// obj (NULL allowed) and returns NULL.
#define BIOGATE_CATCH_NEW(obj, err) \
    catch (...) {                   \
        *(err) = caught_dup();      \
        delete_quietly(obj);        \
        return NULL;                \
    }

#endif
