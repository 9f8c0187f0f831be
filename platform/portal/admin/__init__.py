"""The municipality administrator's pages (/admin/... on a municipality's host).

Server-rendered with htmx where it helps (the import progress bar, the pupil search). Every page
is for municipality administrators who verified a second factor in this session; everyone else
gets a 404 (or the sign-in page). Views parse input and call the services and selectors of this
package or of the apps that own the data (integrations, access.readlog, textguard).
"""
