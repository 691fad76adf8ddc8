// Room inside a session for the readiness wait an idle client always has
// pending. Asio allocates each wait's operation through its handler's
// allocator; the default one hands out whatever block the thread freed last,
// which after an upgrade is the HTTP read's (368 bytes, for an operation of
// about 150): that block was the largest piece of an idle connection. With
// this allocator the operation lives in the session, and a wait costs no
// allocation at all. Whatever does not fit, or comes while the room is
// taken, goes to operator new.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace araldo::plugins::endpoint_websocket {

template <std::size_t Size>
class handler_memory {
public:
    handler_memory() = default;
    handler_memory(const handler_memory&) = delete;
    handler_memory& operator=(const handler_memory&) = delete;

    void* allocate(std::size_t size) {
        if (!in_use_ && size <= Size) {
            in_use_ = true;
            return storage_;
        }
        return ::operator new(size);
    }

    void deallocate(void* p) noexcept {
        if (p == storage_) in_use_ = false;
        else ::operator delete(p);
    }

private:
    // Asio's operations hold pointers and integers: nothing needs more.
    alignas(void*) unsigned char storage_[Size];
    bool in_use_ = false;
};

// The allocator a handler names as its allocator_type.
template <class T, std::size_t Size>
class handler_allocator {
public:
    using value_type = T;

    explicit handler_allocator(handler_memory<Size>& memory) noexcept : memory_{&memory} {}
    template <class U>
    handler_allocator(const handler_allocator<U, Size>& other) noexcept : memory_{other.memory_} {}

    // Rebinding by hand: the size parameter is not a type, so
    // std::allocator_traits cannot do it.
    template <class U>
    struct rebind {
        using other = handler_allocator<U, Size>;
    };

    T* allocate(std::size_t n) {
        if constexpr (alignof(T) > alignof(void*)) return std::allocator<T>{}.allocate(n);
        else return static_cast<T*>(memory_->allocate(sizeof(T) * n));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if constexpr (alignof(T) > alignof(void*)) std::allocator<T>{}.deallocate(p, n);
        else memory_->deallocate(p);
    }

    template <class U>
    bool operator==(const handler_allocator<U, Size>& other) const noexcept {
        return memory_ == other.memory_;
    }

private:
    template <class, std::size_t>
    friend class handler_allocator;
    handler_memory<Size>* memory_;
};

}  // namespace araldo::plugins::endpoint_websocket
