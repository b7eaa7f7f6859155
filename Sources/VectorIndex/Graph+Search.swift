/// Which slots a layer search may return (all slots are traversed).
protocol SlotFilter {
    func admits(_ graph: Graph, _ slot: UInt32) -> Bool
}

/// Admits every present, not deleted slot.
struct LiveFilter: SlotFilter {
    @inline(__always)
    func admits(_ graph: Graph, _ slot: UInt32) -> Bool { graph.isLive(slot) }
}

/// Admits every present slot, tombstones included (graph construction links through tombstones, which keeps the
/// graph connected until compaction).
struct PresentFilter: SlotFilter {
    @inline(__always)
    func admits(_ graph: Graph, _ slot: UInt32) -> Bool { true }
}

/// Admits live slots whose external id is in a caller's set.
struct IDSetFilter: SlotFilter {
    let allowed: Set<Int64>

    @inline(__always)
    func admits(_ graph: Graph, _ slot: UInt32) -> Bool {
        graph.isLive(slot) && allowed.contains(graph.ids[Int(slot)])
    }
}

extension Graph {
    /// Distance from a Float32 query to a stored vector.
    @inline(__always)
    func distance(_ kernels: Kernels, _ query: UnsafePointer<Float>, _ slot: UInt32) -> Float {
        kernels.sign * kernels.query(query, vector(slot), kernels.scaled ? scales[Int(slot)] : 1, dimension)
    }

    /// Distance between two stored vectors.
    @inline(__always)
    func distance(_ kernels: Kernels, _ a: UInt32, _ b: UInt32) -> Float {
        kernels.scaled
            ? kernels.sign * kernels.pair(vector(a), vector(b), scales[Int(a)], scales[Int(b)], dimension)
            : kernels.sign * kernels.pair(vector(a), vector(b), 1, 1, dimension)
    }

    /// Distances from `query` to the first `count` slots of `context.gathered`, into `context.gatheredDistances`, in
    /// one batch-kernel call that reads the vectors in step, so their memory loads overlap (100k × 384 Float32 at
    /// efSearch 64: 1.5× the queries per second of computing one vector after the other).
    @inline(__always)
    func gatheredDistances(_ kernels: Kernels, _ context: SearchContext, _ query: UnsafePointer<Float>, count: Int) {
        let slots = context.gathered
        let pointers = context.gatheredVectors
        let out = context.gatheredDistances
        var i = 0
        while i < count {
            pointers[i] = UnsafeRawPointer(vector(slots[i]))
            i += 1
        }
        var scaleList: UnsafePointer<Float>?
        if kernels.scaled {
            i = 0
            while i < count {
                context.gatheredScales[i] = scales[Int(slots[i])]
                i += 1
            }
            scaleList = UnsafePointer(context.gatheredScales)
        }
        kernels.batch(query, pointers, scaleList, count, dimension, out)
        let sign = kernels.sign
        i = 0
        while i < count {
            out[i] *= sign
            i += 1
        }
    }

    /// Cache lines of a vector prefetched when it is gathered: the first two start the DRAM pages and the hardware
    /// streamer while the rest of the node's neighbours are gathered; the batch kernel then reads the vectors.
    @inline(__always)
    var prefetchLines: Int32 { Int32(min(vectorStride / 64, 2)) }

    /// Greedy descent: from `start` on `fromLevel` down to `toLevel` (inclusive), always moving to a closer neighbour.
    func greedyDescent(
        _ kernels: Kernels,
        _ context: SearchContext,
        _ query: UnsafePointer<Float>,
        start: UInt32,
        startDistance: Float,
        fromLevel: Int,
        toLevel: Int
    ) -> (slot: UInt32, distance: Float) {
        var current = start
        var best = startDistance
        var level = fromLevel
        let gathered = context.gathered
        let distances = context.gatheredDistances
        while level >= toLevel {
            var changed = true
            while changed {
                changed = false
                let list = self.list(current, level: level)
                let n = min(Int(loadAcquire(list)), level == 0 ? maxM0 : maxM)
                var j = 0
                while j < n {
                    gathered[j] = loadAcquire(list + 1 + j)
                    j += 1
                }
                gatheredDistances(kernels, context, query, count: n)
                j = 0
                while j < n {
                    if distances[j] < best {
                        best = distances[j]
                        current = gathered[j]
                        changed = true
                    }
                    j += 1
                }
            }
            level -= 1
        }
        return (current, best)
    }

    /// Beam search of width `ef` on one level from one entry point. Leaves up to `ef` admitted slots in
    /// `context.results` (a max-heap; see ``SearchContext/drainSorted()``).
    ///
    /// `restricted` (deletions or a filter present) keeps the search going until `ef` admitted results are found,
    /// as hnswlib does.
    func searchLayer<F: SlotFilter>(
        _ kernels: Kernels,
        _ context: SearchContext,
        _ query: UnsafePointer<Float>,
        entry: UInt32,
        entryDistance: Float,
        ef: Int,
        level: Int,
        filter: F,
        restricted: Bool
    ) {
        let epoch = context.nextEpoch()
        let visited = context.visited
        let gathered = context.gathered
        let distances = context.gatheredDistances
        var candidates = KeyHeap(storage: context.candidates, max: false)
        var results = KeyHeap(storage: context.results, max: true)
        let maxCount = level == 0 ? maxM0 : maxM
        let lines = prefetchLines
        let scaled = kernels.scaled

        visited[Int(entry)] = epoch
        let entryKey = packKey(entryDistance, entry)
        candidates.push(entryKey)
        var lowerBound = Float.infinity
        if filter.admits(self, entry) {
            results.push(entryKey)
            lowerBound = entryDistance
        }

        while candidates.count > 0 {
            let top = candidates.top
            if keyDistance(top) > lowerBound && (results.count >= ef || !restricted) { break }
            candidates.pop()
            let list = self.list(keySlot(top), level: level)
            let n = min(Int(loadAcquire(list)), maxCount)
            // Gather the unvisited neighbours, then compute all their distances in one batch.
            var m = 0
            var j = 1
            while j <= n {
                let neighbour = loadAcquire(list + j)
                if visited[Int(neighbour)] != epoch {
                    visited[Int(neighbour)] = epoch
                    gathered[m] = neighbour
                    m += 1
                    prefetch(vector(neighbour), lines)
                    if scaled { prefetch(scales + Int(neighbour), 1) }
                }
                j += 1
            }
            // The next candidate's list is likely read next.
            if candidates.count > 0 { prefetch(self.list(keySlot(candidates.top), level: level), 1) }
            gatheredDistances(kernels, context, query, count: m)
            var i = 0
            while i < m {
                let neighbour = gathered[i]
                let d = distances[i]
                if results.count < ef || d < lowerBound {
                    let key = packKey(d, neighbour)
                    candidates.push(key)
                    if filter.admits(self, neighbour) {
                        results.push(key)
                        if results.count > ef { results.pop() }
                        lowerBound = keyDistance(results.top)
                    }
                }
                i += 1
            }
        }
        context.resultCount = results.count
    }

    /// The hnswlib neighbour-selection heuristic: walking candidates from the closest, keep one only if it is
    /// closer to the base than to every neighbour kept so far; at most `limit`. `keys` are ascending (distance, slot).
    /// Writes the kept slots to `out` and returns their number.
    func selectNeighbours(
        _ kernels: Kernels,
        keys: UnsafePointer<UInt64>,
        count: Int,
        limit: Int,
        exclude: UInt32,
        out: UnsafeMutablePointer<UInt32>
    ) -> Int {
        var kept = 0
        var i = 0
        if count <= limit {
            while i < count && kept < limit {
                let s = keySlot(keys[i])
                if s != exclude {
                    out[kept] = s
                    kept += 1
                }
                i += 1
            }
            return kept
        }
        while i < count && kept < limit {
            let key = keys[i]
            i += 1
            let candidate = keySlot(key)
            if candidate == exclude { continue }
            let toBase = keyDistance(key)
            var good = true
            var j = 0
            while j < kept {
                if distance(kernels, candidate, out[j]) < toBase {
                    good = false
                    break
                }
                j += 1
            }
            if good {
                out[kept] = candidate
                kept += 1
            }
        }
        return kept
    }

    /// Links `newSlot` into `neighbour`'s list on `level`, re-selecting the list with the heuristic when it is full.
    func link(_ kernels: Kernels, _ context: SearchContext, neighbour: UInt32, newSlot: UInt32, level: Int) {
        let maxCount = level == 0 ? maxM0 : maxM
        lock(neighbour)
        defer { unlock(neighbour) }
        let list = self.list(neighbour, level: level)
        let n = Int(list[0])
        var j = 1
        while j <= n {
            if list[j] == newSlot { return }
            j += 1
        }
        if n < maxCount {
            storeRelease(list + n + 1, newSlot)
            storeRelease(list, UInt32(n + 1))
            return
        }
        let keys = context.linkKeys
        j = 0
        while j < n {
            let s = list[j + 1]
            keys[j] = packKey(distance(kernels, neighbour, s), s)
            j += 1
        }
        keys[n] = packKey(distance(kernels, neighbour, newSlot), newSlot)
        insertionSort(keys, count: n + 1)
        let kept = selectNeighbours(kernels, keys: keys, count: n + 1, limit: maxCount, exclude: neighbour, out: context.selected)
        j = 0
        while j < kept {
            storeRelease(list + j + 1, context.selected[j])
            j += 1
        }
        storeRelease(list, UInt32(kept))
    }

    /// Inserts a prepared slot (see ``prepareSlot(_:id:level:)``; its vector already stored) into the graph.
    /// `query` is the Float32 form of the vector. Safe to run on several threads for different slots.
    ///
    /// Two phases, so that concurrent inserters only ever meet complete nodes:
    /// 1. Search every level from the top down and write the new node's own lists while no other thread can reach
    ///    it (nothing points to it yet), keeping a private copy of each level's selection.
    /// 2. Publish: link the node into its selected neighbours' lists. From the first such link on, other threads
    ///    may find the node, start their searches from it and link themselves into its lists; its lists are
    ///    complete by then and this insert never writes them again (writing them level by level, as a serial
    ///    build may, let a second thread find the node with empty lower lists, link itself only to it, and then
    ///    lose that link when the lists were overwritten: a vector nothing points to).
    ///
    /// A node whose level is above the entry point's holds the graph's raise lock for its whole insert, so two
    /// such nodes cannot both link only below the old top level and leave the new upper levels disconnected.
    func insert(
        _ kernels: Kernels,
        _ context: SearchContext,
        slot: UInt32,
        query: UnsafePointer<Float>,
        efConstruction: Int
    ) {
        let level = Int(levels[Int(slot)])
        storeRelease(flags + Int(slot), SlotFlag.present)
        context.prepare(capacity: capacity, ef: efConstruction)

        var packed = packedEntry
        if packed == Graph.noEntry {
            if compareExchange(atomics + 1, Graph.noEntry, UInt64(level) << 32 | UInt64(slot)) { return }
            packed = packedEntry
        }
        var raising = false
        if level > Int(packed >> 32) {
            spinLock(raiseLock)
            packed = packedEntry
            raising = level > Int(packed >> 32)
            if !raising { spinUnlock(raiseLock) }
        }
        let entrySlot = UInt32(truncatingIfNeeded: packed)
        let entryLevel = Int(packed >> 32)

        var current = entrySlot
        var currentDistance = distance(kernels, query, entrySlot)
        if level < entryLevel {
            (current, currentDistance) = greedyDescent(
                kernels,
                context,
                query,
                start: current,
                startDistance: currentDistance,
                fromLevel: entryLevel,
                toLevel: level + 1
            )
        }
        let top = min(level, entryLevel)
        let selections = context.levelSelections
        let selectionStride = maxM + 1
        // Phase 1: search and fill the node's own lists (unreachable to other threads).
        var l = top
        while l >= 0 {
            searchLayer(
                kernels,
                context,
                query,
                entry: current,
                entryDistance: currentDistance,
                ef: efConstruction,
                level: l,
                filter: PresentFilter(),
                restricted: false
            )
            let found = context.drainSorted()
            if found > 0 {
                current = keySlot(context.sorted[0])
                currentDistance = keyDistance(context.sorted[0])
            }
            let selection = selections + l * selectionStride
            let kept = selectNeighbours(
                kernels,
                keys: context.sorted,
                count: found,
                limit: maxM,
                exclude: slot,
                out: selection + 1
            )
            selection[0] = UInt32(kept)
            let list = self.list(slot, level: l)
            lock(slot)
            var j = 0
            while j < kept {
                storeRelease(list + j + 1, selection[j + 1])
                j += 1
            }
            storeRelease(list, UInt32(kept))
            unlock(slot)
            l -= 1
        }
        // Phase 2: publish (`link` reuses `context.selected`, so it reads the private copies).
        l = top
        while l >= 0 {
            let selection = selections + l * selectionStride
            var j = 0
            while j < Int(selection[0]) {
                link(kernels, context, neighbour: selection[j + 1], newSlot: slot, level: l)
                j += 1
            }
            l -= 1
        }
        if raising {
            setEntry(slot: slot, level: level)
            spinUnlock(raiseLock)
        }
    }

    /// Whether one of `slot`'s level-0 neighbours lists it (the entry point, or a node with no neighbours, counts
    /// as linked).
    func hasBacklink(_ slot: UInt32) -> Bool {
        if entry?.slot == slot { return true }
        let own = list(slot, level: 0)
        let n = Int(loadAcquire(own))
        if n == 0 { return true }
        var j = 1
        while j <= n {
            let other = list(loadAcquire(own + j), level: 0)
            let count = Int(loadAcquire(other))
            var k = 1
            while k <= count {
                if loadAcquire(other + k) == slot { return true }
                k += 1
            }
            j += 1
        }
        return false
    }

    /// Links `slot` (already in the graph) into the level-0 lists of the nodes a fresh search selects for it, as an
    /// insert would now that every other node is in place (see `HNSWIndex.relinkOrphans`).
    func relink(_ kernels: Kernels, _ context: SearchContext, slot: UInt32, query: UnsafePointer<Float>, efConstruction: Int) {
        guard let entry, entry.slot != slot else { return }
        context.prepare(capacity: capacity, ef: efConstruction)
        let (start, startDistance) = greedyDescent(
            kernels,
            context,
            query,
            start: entry.slot,
            startDistance: distance(kernels, query, entry.slot),
            fromLevel: entry.level,
            toLevel: 1
        )
        searchLayer(
            kernels,
            context,
            query,
            entry: start,
            entryDistance: startDistance,
            ef: efConstruction,
            level: 0,
            filter: PresentFilter(),
            restricted: false
        )
        let found = context.drainSorted()
        let selection = context.levelSelections
        let kept = selectNeighbours(kernels, keys: context.sorted, count: found, limit: maxM, exclude: slot, out: selection)
        var j = 0
        while j < kept {
            link(kernels, context, neighbour: selection[j], newSlot: slot, level: 0)
            j += 1
        }
    }

    /// Exact search over the given slots (or all slots when `slots` is nil); leaves results like ``searchLayer``.
    /// Admitted slots are gathered in blocks and measured with the batch kernel.
    func exactScan<F: SlotFilter>(
        _ kernels: Kernels,
        _ context: SearchContext,
        _ query: UnsafePointer<Float>,
        k: Int,
        slots: [UInt32]?,
        filter: F
    ) {
        var results = KeyHeap(storage: context.results, max: true)
        let gathered = context.gathered
        let distances = context.gatheredDistances
        let block = context.gatherCapacity
        var m = 0
        func flush() {
            gatheredDistances(kernels, context, query, count: m)
            var i = 0
            while i < m {
                let d = distances[i]
                if results.count < k {
                    results.push(packKey(d, gathered[i]))
                } else if d < keyDistance(results.top) {
                    results.pop()
                    results.push(packKey(d, gathered[i]))
                }
                i += 1
            }
            m = 0
        }
        func consider(_ s: UInt32) {
            guard filter.admits(self, s) else { return }
            gathered[m] = s
            m += 1
            if m == block { flush() }
        }
        if let slots {
            for s in slots { consider(s) }
        } else {
            let n = slotCount
            var s = 0
            while s < n {
                consider(UInt32(s))
                s += 1
            }
        }
        flush()
        context.resultCount = results.count
    }
}

/// Sorts a few keys ascending (neighbour lists hold at most 2·M + 1).
@inline(__always)
func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, count: Int) {
    var i = 1
    while i < count {
        let key = keys[i]
        var j = i - 1
        while j >= 0 && keys[j] > key {
            keys[j + 1] = keys[j]
            j -= 1
        }
        keys[j + 1] = key
        i += 1
    }
}
