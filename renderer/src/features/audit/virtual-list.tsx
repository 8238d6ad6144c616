import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  /** Rows drawn above and below the visible ones. */
  overscan?: number;
  label: string;
  renderRow: (item: T, index: number) => ReactNode;
  itemKey: (item: T) => string;
  /** Called when the end of the list comes into view (to load older rows). */
  onEndReached?: () => void;
  /** Rows were added at the top: keep what the user is looking at in place. */
  prepended?: number;
}

/**
 * Fixed-row-height windowing: only the rows in view (plus `overscan`) are in the DOM, so a
 * timeline of 100,000 events scrolls like one of 50. When rows are prepended while the user has
 * scrolled down, the scroll position moves with them, so nothing jumps.
 */
export function VirtualList<T>({ items, rowHeight, overscan = 8, label, renderRow, itemKey, onEndReached, prepended = 0 }: VirtualListProps<T>): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);

  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (el && prepended > 0 && el.scrollTop > 0) {
      el.scrollTop += prepended * rowHeight;
      setScrollTop(el.scrollTop);
    }
  }, [prepended, rowHeight]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const endReached = last >= items.length;
  useEffect(() => {
    if (endReached && items.length > 0) onEndReached?.();
  }, [endReached, items.length, onEndReached]);

  return (
    <div ref={ref} className="virtual-list" role="list" aria-label={label} aria-rowcount={items.length} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>
        {items.slice(first, last).map((item, offset) => (
          <div key={itemKey(item)} role="listitem" className="virtual-row" style={{ position: 'absolute', top: (first + offset) * rowHeight, height: rowHeight, left: 0, right: 0 }}>
            {renderRow(item, first + offset)}
          </div>
        ))}
      </div>
    </div>
  );
}
