/**
 * Light / dark / follow-the-system theme, remembered in localStorage. <html data-theme> always holds the
 * effective theme (light or dark), so the stylesheet has one dark palette and no media-query copy of it.
 */
export type Theme = 'auto' | 'light' | 'dark';

const KEY = 'dph-theme';

class ThemeState {
	current = $state<Theme>('auto');

	load() {
		try {
			const t = localStorage.getItem(KEY);
			this.current = t === 'light' || t === 'dark' ? t : 'auto';
		} catch {
			this.current = 'auto';
		}
		this.apply();
	}

	cycle() {
		this.current = this.current === 'auto' ? 'light' : this.current === 'light' ? 'dark' : 'auto';
		try {
			if (this.current === 'auto') localStorage.removeItem(KEY);
			else localStorage.setItem(KEY, this.current);
		} catch {
			// Private mode: the theme still applies for this page view.
		}
		this.apply();
	}

	private system: MediaQueryList | null = null;

	private apply() {
		if (!this.system) {
			this.system = matchMedia('(prefers-color-scheme: dark)');
			// "System" follows the OS switching between light and dark while the page is open.
			this.system.addEventListener('change', () => this.apply());
		}
		const dark = this.current === 'dark' || (this.current === 'auto' && this.system.matches);
		document.documentElement.dataset.theme = dark ? 'dark' : 'light';
	}
}

export const theme = new ThemeState();
