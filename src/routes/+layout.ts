// Every page is prerendered: the static build in build/ works offline and from any file server.
export const prerender = true;
export const trailingSlash = 'never';
