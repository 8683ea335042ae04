/** Light / dark / follow-the-system theme, remembered in localStorage and applied to <html data-theme>. */
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

	private apply() {
		document.documentElement.dataset.theme = this.current;
	}
}

export const theme = new ThemeState();
